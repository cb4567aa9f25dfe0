/**
 * Plugin UIs through module federation. A plugin's `piper-plugin build` makes a remote
 * (remoteEntry.js exposing `./ui`) whose default export is `{ widgets, viewers }`; the server
 * serves it under /plugin-ui/. The UI imports the remote at run time, initialises it with this
 * page's React as the shared singleton (so hooks run on one React), and takes `./ui`.
 */
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import * as JsxRuntime from 'react/jsx-runtime';
import { useEffect, useState, type ComponentType } from 'react';

export interface PluginUiRef {
  remoteEntry: string;
  name: string;
}

/** What a plugin's remote exposes as `./ui`. */
export interface PluginUi {
  /** Form widgets, referenced from a uiSchema as `"ui:widget": "<pluginId>/<name>"`. */
  widgets?: Record<string, ComponentType<any>>;
  /** Result viewers, keyed by the node type whose output they show; props `{ value }`. */
  viewers?: Record<string, ComponentType<{ value: unknown }>>;
}

interface Container {
  init(shareScope: Record<string, unknown>): Promise<void> | void;
  get(module: string): Promise<() => { default?: PluginUi } & PluginUi>;
}

const SHARE_CONFIG = { singleton: true, requiredVersion: '^19.0.0' };

function offer(module: object) {
  return {
    [React.version]: { get: () => () => module, loaded: 1, from: 'piper-ui', version: React.version, scope: ['default'], shareConfig: SHARE_CONFIG },
  };
}

const loaded = new Map<string, Promise<PluginUi>>();

export function loadPluginUi(ref: PluginUiRef): Promise<PluginUi> {
  let promise = loaded.get(ref.remoteEntry);
  if (!promise) {
    promise = (async () => {
      const container = (await import(/* @vite-ignore */ ref.remoteEntry)) as Container;
      await container.init({ react: offer(React), 'react-dom': offer(ReactDOM), 'react/jsx-runtime': offer(JsxRuntime) });
      const exposed = (await container.get('./ui'))();
      // A remote whose build missed a shared subpath (react/jsx-runtime) starts loading its own
      // copy while `./ui` evaluates, after `get` resolved: wait for those loads before rendering.
      await Promise.all((globalThis as { __mf_module_cache__?: { pendingShareLoads?: Promise<unknown>[] } }).__mf_module_cache__?.pendingShareLoads ?? []);
      return exposed.default ?? exposed;
    })();
    // A failed load may succeed later (the plugin was reinstalled): do not keep the failure.
    promise.catch(() => loaded.delete(ref.remoteEntry));
    loaded.set(ref.remoteEntry, promise);
  }
  return promise;
}

/** The plugin UIs of `refs` (keyed by plugin id) once loaded; a UI that fails to load is left out and reported. */
export function usePluginUis(refs: Array<{ pluginId: string; ui: PluginUiRef | null | undefined }>): { uis: Map<string, PluginUi>; errors: string[]; loading: boolean } {
  const key = refs
    .filter((ref) => ref.ui)
    .map((ref) => `${ref.pluginId}=${ref.ui!.remoteEntry}`)
    .sort()
    .join('|');
  const [state, setState] = useState<{ key: string; uis: Map<string, PluginUi>; errors: string[] }>({ key: '', uis: new Map(), errors: [] });
  useEffect(() => {
    if (!key) return;
    let active = true;
    const wanted = [...new Map(refs.filter((ref) => ref.ui).map((ref) => [ref.pluginId, ref.ui!])).entries()];
    void Promise.allSettled(wanted.map(([, ui]) => loadPluginUi(ui))).then((results) => {
      if (!active) return;
      const uis = new Map<string, PluginUi>();
      const errors: string[] = [];
      results.forEach((result, index) => {
        const [pluginId] = wanted[index]!;
        if (result.status === 'fulfilled') uis.set(pluginId, result.value);
        else errors.push(`The UI of ${pluginId} did not load: ${(result.reason as Error)?.message ?? result.reason}`);
      });
      setState({ key, uis, errors });
    });
    return () => {
      active = false;
    };
    // `key` stands for `refs`, whose identity changes on every render.
  }, [key]);
  return state.key === key ? { ...state, loading: false } : { uis: new Map(), errors: [], loading: key !== '' };
}

/** rjsf widgets of the loaded plugin UIs, named `<pluginId>/<widget>` as uiSchemas reference them. */
export function widgetsOf(uis: Map<string, PluginUi>): Record<string, ComponentType<any>> {
  const widgets: Record<string, ComponentType<any>> = {};
  for (const [pluginId, ui] of uis) for (const [name, widget] of Object.entries(ui.widgets ?? {})) widgets[`${pluginId}/${name}`] = widget;
  return widgets;
}
