import Form from '@rjsf/core';
import type { RJSFSchema, UiSchema, WidgetProps } from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';
import { Component, useEffect, useMemo, useState, type ComponentType, type ReactNode } from 'react';
import type { Credential, NodeSettings, NodeType } from '../../app/types.js';
import { ErrorBox, Spinner } from '../../app/ui.js';
import type { GraphError } from '../../app/types.js';
import type { PiperNodeData } from './graph.js';
import { compareVersions } from './Palette.js';

/** A JSON value edited as text; kept as text while it does not parse. */
function JsonWidget(props: WidgetProps) {
  const [text, setText] = useState(() => (props.value === undefined ? '' : JSON.stringify(props.value, null, 2)));
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    // Follow outside changes (undo, another node) unless the text already says the same.
    setText((current) => {
      try {
        if (JSON.stringify(JSON.parse(current)) === JSON.stringify(props.value)) return current;
      } catch {
        /* the text does not parse: replace it */
      }
      return props.value === undefined ? '' : JSON.stringify(props.value, null, 2);
    });
  }, [props.value]);
  return (
    <>
      <textarea
        id={props.id}
        className="code"
        rows={8}
        spellCheck={false}
        value={text}
        disabled={props.disabled || props.readonly}
        onChange={(event) => {
          setText(event.target.value);
          if (event.target.value.trim() === '') {
            setProblem(undefined);
            props.onChange(undefined);
            return;
          }
          try {
            props.onChange(JSON.parse(event.target.value));
            setProblem(undefined);
          } catch (error) {
            setProblem((error as Error).message);
          }
        }}
      />
      {problem && <span className="field-problem">Not JSON yet: {problem}</span>}
    </>
  );
}

/** Multi-line text; monospace when the uiSchema names a language (code). */
function TextareaWidget(props: WidgetProps) {
  const options = props.options as { rows?: number; language?: string };
  return (
    <textarea
      id={props.id}
      className={options.language ? 'code' : undefined}
      rows={options.rows ?? 5}
      spellCheck={!options.language}
      value={typeof props.value === 'string' ? props.value : ''}
      placeholder={props.placeholder}
      disabled={props.disabled || props.readonly}
      onChange={(event) => props.onChange(event.target.value === '' ? undefined : event.target.value)}
      onKeyDown={(event) => {
        // Tab indents in code instead of leaving the field.
        if (options.language && event.key === 'Tab' && !event.shiftKey) {
          event.preventDefault();
          const target = event.currentTarget;
          const { selectionStart, selectionEnd, value } = target;
          const next = `${value.slice(0, selectionStart)}  ${value.slice(selectionEnd)}`;
          props.onChange(next);
          requestAnimationFrame(() => target.setSelectionRange(selectionStart + 2, selectionStart + 2));
        }
      }}
    />
  );
}

const BUILT_IN_WIDGETS = { json: JsonWidget, textarea: TextareaWidget };

/** A plugin widget that throws must not take the editor down. */
class WidgetBoundary extends Component<{ children: ReactNode }, { error?: Error }> {
  override state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    return this.state.error ? <ErrorBox error={new Error(`The form failed to render: ${this.state.error.message}`)} /> : this.props.children;
  }
}

export interface NodePanelProps {
  nodeId: string;
  data: PiperNodeData;
  nodeType: NodeType | undefined;
  versions: NodeType[];
  credentials: Credential[];
  errors: GraphError[];
  pluginWidgets: Record<string, ComponentType<any>>;
  /** Plugin UIs are still loading: a form that asks for a plugin widget waits for them. */
  pluginsLoading: boolean;
  readOnly: boolean;
  onChange(patch: Partial<PiperNodeData>, coalesce: string): void;
  onDelete(): void;
}

/** The selected node: its form generated from the type's args schema, credential, settings and version. */
export function NodePanel({ nodeId, data, nodeType, versions, credentials, errors, pluginWidgets, pluginsLoading, readOnly, onChange, onDelete }: NodePanelProps) {
  const widgets = useMemo(() => ({ ...BUILT_IN_WIDGETS, ...pluginWidgets }), [pluginWidgets]);
  const { uiSchema, missing } = useMemo(() => {
    const resolved = withAvailableWidgets(nodeType?.uiSchema ?? {}, widgets);
    return { uiSchema: { ...resolved.uiSchema, 'ui:submitButtonOptions': { norender: true } } as UiSchema, missing: resolved.missing };
  }, [nodeType, widgets]);
  const schema = useMemo<RJSFSchema>(() => {
    const args = (nodeType?.argsSchema ?? { type: 'object' }) as RJSFSchema;
    // The node's name is the panel's heading already.
    return { ...args, title: undefined };
  }, [nodeType]);
  const usable = credentials.filter((credential) => credential.type === nodeType?.credential?.type);
  const settings = data.settings ?? {};
  const setSettings = (patch: Partial<NodeSettings>, key: string) => onChange({ settings: prune({ ...settings, ...patch }) }, key);

  return (
    <div className="node-panel">
      <header>
        <h3>{nodeType?.name ?? data.nodeType}</h3>
        <span className="muted mono">
          {nodeId} · {data.nodeType}
        </span>
      </header>
      {nodeType?.description && <p className="muted">{nodeType.description}</p>}
      {!nodeType && <ErrorBox error={new Error(`The node type ${data.nodeType} ${data.version ?? ''} is not installed or not enabled for this org.`)} />}
      {errors.length > 0 && (
        <div className="error-box" role="alert">
          <ul>
            {errors.map((error, index) => (
              <li key={index}>{error.message}</li>
            ))}
          </ul>
        </div>
      )}
      <fieldset disabled={readOnly} className="stack">
        <label>
          Label
          <input value={data.label ?? ''} placeholder={nodeType?.name} maxLength={120} onChange={(event) => onChange({ label: event.target.value || undefined }, `label:${nodeId}`)} />
        </label>
        {versions.length > 1 && (
          <label>
            Version
            <select value={data.version ?? ''} onChange={(event) => onChange({ version: event.target.value }, `version:${nodeId}`)}>
              {[...versions]
                .sort((a, b) => compareVersions(b.version, a.version))
                .map((candidate) => (
                  <option key={candidate.version} value={candidate.version}>
                    {candidate.version}
                  </option>
                ))}
            </select>
          </label>
        )}
        {nodeType?.credential && (
          <label>
            Credential {nodeType.credential.required ? '(required)' : '(optional)'}
            <select aria-label="Credential" value={data.credentialId ?? ''} onChange={(event) => onChange({ credentialId: event.target.value || null }, `credential:${nodeId}`)}>
              <option value="">{nodeType.credential.required ? 'The default credential of this type' : 'None (or the default of this type)'}</option>
              {usable.map((credential) => (
                <option key={credential.id} value={credential.id}>
                  {credential.name}
                  {credential.isDefault ? ' (default)' : ''}
                </option>
              ))}
            </select>
            {usable.length === 0 && <span className="muted">No {nodeType.credential.type} credential you may use exists yet; an org admin creates them.</span>}
          </label>
        )}
      </fieldset>
      {nodeType && Object.keys((nodeType.argsSchema.properties as object | undefined) ?? {}).length > 0 && (
        <section className="args-form">
          <h4>Arguments</h4>
          <p className="muted small">
            Values may hold <code>{'{{ expressions }}'}</code>: the input's fields, <code>$input</code>, <code>$nodes.&lt;id&gt;</code>, <code>$run</code>.
          </p>
          {missing.length > 0 && !pluginsLoading && (
            <p className="field-problem">
              {missing.join(', ')} could not be loaded from {missing.length === 1 ? 'its plugin' : 'their plugins'}: plain fields are shown instead.
            </p>
          )}
          {missing.length > 0 && pluginsLoading ? (
            <Spinner label="Loading the plugin's form widgets…" />
          ) : (
            <WidgetBoundary key={`${nodeId}:${nodeType.version}:${missing.join()}`}>
              <Form
                schema={schema}
                uiSchema={uiSchema}
                formData={data.args}
                validator={validator}
                widgets={widgets}
                disabled={readOnly}
                noHtml5Validate
                showErrorList={false}
                idPrefix={`arg-${nodeId}`}
                onChange={(event) => onChange({ args: (event.formData ?? {}) as Record<string, unknown> }, `args:${nodeId}`)}
              />
            </WidgetBoundary>
          )}
        </section>
      )}
      <details className="settings">
        <summary>Retries, timeout, failure</summary>
        <fieldset disabled={readOnly} className="stack">
          <div className="row">
            <label>
              Attempts
              <input type="number" min={1} max={20} value={settings.retry?.maxAttempts ?? ''} placeholder="1" onChange={(event) => setSettings({ retry: prune({ ...settings.retry, maxAttempts: numberOf(event.target.value) }) }, `retry:${nodeId}`)} />
            </label>
            <label>
              Backoff (ms)
              <input type="number" min={0} value={settings.retry?.backoffMs ?? ''} placeholder="1000" onChange={(event) => setSettings({ retry: prune({ ...settings.retry, backoffMs: numberOf(event.target.value) }) }, `retry:${nodeId}`)} />
            </label>
            <label>
              Factor
              <input type="number" min={1} step={0.5} value={settings.retry?.factor ?? ''} placeholder="2" onChange={(event) => setSettings({ retry: prune({ ...settings.retry, factor: numberOf(event.target.value) }) }, `retry:${nodeId}`)} />
            </label>
          </div>
          <label>
            Timeout (ms)
            <input type="number" min={1} value={settings.timeoutMs ?? ''} placeholder="the org's default" onChange={(event) => setSettings({ timeoutMs: numberOf(event.target.value) }, `timeout:${nodeId}`)} />
          </label>
          <label className="inline">
            <input type="checkbox" checked={settings.continueOnFail ?? false} onChange={(event) => setSettings({ continueOnFail: event.target.checked || undefined }, `continue:${nodeId}`)} />
            Continue on failure (the output becomes {'{ error: { message } }'})
          </label>
        </fieldset>
      </details>
      {!readOnly && (
        <button type="button" className="secondary danger-text" onClick={onDelete}>
          Delete node
        </button>
      )}
    </div>
  );
}

/**
 * The uiSchema with plugin widgets (`"<pluginId>/<name>"`) that are not loaded replaced by the
 * field's default widget, and their names; rjsf would fail the whole form on an unknown widget.
 */
function withAvailableWidgets(uiSchema: Record<string, unknown>, widgets: Record<string, unknown>): { uiSchema: Record<string, unknown>; missing: string[] } {
  const missing: string[] = [];
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (!value || typeof value !== 'object') return value;
    const copy: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (key === 'ui:widget' && typeof member === 'string' && member.includes('/') && !(member in widgets)) missing.push(member);
      else copy[key] = walk(member);
    }
    return copy;
  };
  return { uiSchema: walk(uiSchema) as Record<string, unknown>, missing };
}

function numberOf(text: string): number | undefined {
  return text === '' ? undefined : Number(text);
}

/** Drops undefined and empty-object members so the stored settings stay minimal. */
function prune<T extends object>(value: T): T {
  const entries = Object.entries(value).filter(([, member]) => member !== undefined && !(member && typeof member === 'object' && Object.keys(member).length === 0));
  return Object.fromEntries(entries) as T;
}
