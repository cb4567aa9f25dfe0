import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, patch, post } from '../../app/api.js';
import { useAuth } from '../../app/auth.js';
import { Async, Empty, ErrorBox, formatTime, Modal, PageHeader, useAction, useApi } from '../../app/ui.js';
import type { PluginInfo } from './common.js';

const SOURCES: Record<PluginInfo['source'], string> = { builtin: 'first-party', registry: 'npm registry', upload: 'upload' };

/** Installed plugins: status, node types, enablement for the org; install and removal for instance admins. */
export function PluginsPage() {
  const { me } = useAuth();
  const instanceAdmin = Boolean(me?.user?.instanceAdmin);
  const plugins = useApi<PluginInfo[]>('/api/plugins');
  const [installing, setInstalling] = useState(false);
  const [removing, setRemoving] = useState<PluginInfo | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  return (
    <div>
      <PageHeader title="Plugins">
        {instanceAdmin && (
          <button type="button" onClick={() => setInstalling(true)}>
            Install plugin
          </button>
        )}
      </PageHeader>
      <div className="stack">
        <p className="admin-notice" role="note">
          <strong>Plugins are trusted server code: they run inside the Piper server with its permissions. Install only packages you trust.</strong>
          {!instanceAdmin && ' Installing and removing plugins is for instance admins; you can enable or disable them for your org.'}
        </p>
        {notice && (
          <p className="admin-notice info" role="status">
            {notice}{' '}
            <button type="button" className="link" onClick={() => setNotice(null)}>
              Dismiss
            </button>
          </p>
        )}
        <Async state={plugins}>
          {(list) =>
            list.length === 0 ? (
              <Empty>No plugin is installed.</Empty>
            ) : (
              <PluginTable list={list} instanceAdmin={instanceAdmin} onChanged={(next) => plugins.set(list.map((p) => (p.id === next.id ? next : p)))} onRemove={setRemoving} />
            )
          }
        </Async>
      </div>
      {installing && (
        <InstallDialog
          onClose={() => setInstalling(false)}
          onInstalled={(plugin) => {
            setNotice(`${plugin.package}@${plugin.version} is installed and loaded${plugin.nodeTypes.length ? `: ${plugin.nodeTypes.map((t) => t.type).join(', ')}` : ''}.`);
            plugins.reload();
          }}
        />
      )}
      {removing && (
        <RemoveDialog
          plugin={removing}
          onClose={() => setRemoving(null)}
          onRemoved={() => {
            setNotice(`${removing.package}@${removing.version} was removed.`);
            plugins.reload();
          }}
        />
      )}
    </div>
  );
}

function PluginTable({ list, instanceAdmin, onChanged, onRemove }: { list: PluginInfo[]; instanceAdmin: boolean; onChanged(plugin: PluginInfo): void; onRemove(plugin: PluginInfo): void }) {
  const toggle = useAction(async (plugin: PluginInfo, enabled: boolean) => onChanged(await patch<PluginInfo>(`/api/plugins/${plugin.id}`, { enabled })));
  const versionsOf = (name: string) => list.filter((p) => p.package === name).length;
  return (
    <div className="stack">
      <ErrorBox error={toggle.error} />
      <table className="table">
        <thead>
          <tr>
            <th>Package</th>
            <th>Version</th>
            <th>Status</th>
            <th>Node types</th>
            <th>UI</th>
            <th>Enabled for this org</th>
            <th>Installed</th>
            {instanceAdmin && <th aria-label="Actions" />}
          </tr>
        </thead>
        <tbody>
          {list.map((plugin) => (
            <tr key={plugin.id} data-package={plugin.package}>
              <td>
                <strong>{plugin.package}</strong>
                {plugin.pluginId && plugin.pluginId !== plugin.package && <div className="muted mono">{plugin.pluginId}</div>}
                <div className="muted">{SOURCES[plugin.source]}</div>
              </td>
              <td>
                <code>{plugin.version}</code>
                {versionsOf(plugin.package) > 1 && <div className="muted">{versionsOf(plugin.package)} versions installed</div>}
              </td>
              <td>
                <span className={`badge status-${plugin.status === 'installed' ? 'loaded' : 'error'}`}>{plugin.status === 'installed' ? 'loaded' : 'error'}</span>
                {plugin.error && <div className="admin-error-text">{plugin.error}</div>}
              </td>
              <td>
                {plugin.nodeTypes.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  <div className="admin-chips">
                    {plugin.nodeTypes.map((type) => (
                      <code key={`${type.type}@${type.version}`}>
                        {type.type}@{type.version}
                      </code>
                    ))}
                  </div>
                )}
              </td>
              <td>{plugin.ui ? 'yes' : 'no'}</td>
              <td>
                <label className="inline">
                  <input
                    type="checkbox"
                    checked={plugin.enabled}
                    disabled={toggle.busy}
                    aria-label={`Enabled for this org: ${plugin.package}@${plugin.version}`}
                    onChange={(event) => void toggle.run(plugin, event.target.checked)}
                  />
                  {plugin.enabled ? 'enabled' : 'disabled'}
                </label>
              </td>
              <td>{formatTime(plugin.installedAt)}</td>
              {instanceAdmin && (
                <td className="admin-actions">
                  {plugin.source === 'builtin' ? (
                    <span className="muted" title="First-party plugins ship with Piper; disable them for your org instead">
                      built in
                    </span>
                  ) : (
                    <button type="button" className="secondary small" aria-label={`Remove ${plugin.package}@${plugin.version}`} onClick={() => onRemove(plugin)}>
                      Remove
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function InstallDialog({ onClose, onInstalled }: { onClose(): void; onInstalled(plugin: PluginInfo): void }) {
  const [mode, setMode] = useState<'registry' | 'upload'>('registry');
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    let installed: PluginInfo;
    if (mode === 'registry') {
      installed = await post<PluginInfo>('/api/plugins', { package: name.trim(), ...(version.trim() ? { version: version.trim() } : {}) });
    } else {
      if (!file) throw new ApiError(400, 'invalid', 'Choose a .tgz package file first');
      const form = new FormData();
      form.set('file', file, file.name);
      installed = await api<PluginInfo>('POST', '/api/plugins', { form });
    }
    onInstalled(installed);
    onClose();
  });
  return (
    <Modal title="Install plugin" onClose={onClose}>
      <form className="stack" onSubmit={action.run}>
        <p className="admin-notice" style={{ margin: 0 }}>
          The package runs inside the Piper server with its permissions, for every org of this instance.
        </p>
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={mode === 'registry'} className={mode === 'registry' ? 'active' : ''} onClick={() => setMode('registry')}>
            From the registry
          </button>
          <button type="button" role="tab" aria-selected={mode === 'upload'} className={mode === 'upload' ? 'active' : ''} onClick={() => setMode('upload')}>
            Upload a .tgz
          </button>
        </div>
        {mode === 'registry' ? (
          <>
            <label>
              Package name
              <input required autoFocus maxLength={214} placeholder="@acme/piper-plugin" value={name} onChange={(event) => setName(event.target.value)} />
            </label>
            <label>
              <span>
                Version <span className="muted">(optional: the latest)</span>
              </span>
              <input maxLength={64} placeholder="1.2.0 or ^1.2" value={version} onChange={(event) => setVersion(event.target.value)} />
            </label>
          </>
        ) : (
          <label>
            Package file (.tgz, as made by npm pack or piper-plugin pack)
            <input ref={fileInput} required type="file" accept=".tgz,.tar.gz,application/gzip,application/x-gzip" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
          </label>
        )}
        <ErrorBox error={action.error} />
        <div className="row">
          {action.busy && <span className="muted">Installing and loading the package; this can take a minute…</span>}
          <span className="spacer" />
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={action.busy}>
            {action.busy ? 'Installing…' : 'Install'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

interface InUse {
  nodeType?: string;
  pipelines?: Array<{ id: string; name: string }>;
}

/** Removal, with the refusal spelled out when published pipelines still use the version. */
function RemoveDialog({ plugin, onClose, onRemoved }: { plugin: PluginInfo; onClose(): void; onRemoved(): void }) {
  const action = useAction(async () => {
    await api('DELETE', `/api/plugins/${plugin.id}`);
    onRemoved();
    onClose();
  });
  const inUse = action.error instanceof ApiError && action.error.status === 409 ? ((action.error.details ?? {}) as InUse) : null;
  return (
    <Modal title="Remove plugin" onClose={onClose}>
      <div className="stack">
        <p style={{ margin: 0 }}>
          Remove <strong>{plugin.package}@{plugin.version}</strong> from every org of this instance? Its node types
          {plugin.nodeTypes.length ? ` (${plugin.nodeTypes.map((t) => `${t.type}@${t.version}`).join(', ')})` : ''} leave the editor.
        </p>
        {inUse ? (
          <div className="error-box" role="alert">
            <strong>This version cannot be removed: it is in use.</strong>
            <p style={{ margin: '6px 0 0' }}>{action.error!.message}.</p>
            {inUse.pipelines?.length ? (
              <>
                <p style={{ margin: '6px 0 0', color: 'var(--text)' }}>Published pipelines using {inUse.nodeType ?? 'it'}:</p>
                <ul>
                  {inUse.pipelines.map((pipeline) => (
                    <li key={pipeline.id}>{pipeline.name}</li>
                  ))}
                </ul>
              </>
            ) : null}
            <p style={{ margin: '6px 0 0', color: 'var(--text)' }}>Publish those pipelines with another version of the node type, or delete them, then try again.</p>
          </div>
        ) : (
          <ErrorBox error={action.error} />
        )}
        <div className="row">
          <span className="spacer" />
          <button type="button" className="secondary" onClick={onClose}>
            {inUse ? 'OK' : 'Cancel'}
          </button>
          {!inUse && (
            <button type="button" className="danger" disabled={action.busy} onClick={() => void action.run()}>
              {action.busy ? 'Removing…' : 'Remove plugin'}
            </button>
          )}
        </div>
      </div>
    </Modal>
  );
}
