import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import type { Pipeline, PipelineVersion, User } from '../../app/types.js';
import { ErrorBox, formatTime, useAction, useApi, type Loaded } from '../../app/ui.js';

interface Triggers {
  webhooks: Array<{ nodeId: string; path: string; version: number; url: string; signed: boolean; respond?: string }>;
  schedules: Array<{ nodeId: string; cron: string; timezone: string; nextFireAt: string; version?: number }>;
}

/** With no node selected: the pipeline's own settings, versions and live triggers. */
export function PipelinePanel({
  pipeline,
  clients,
  versions,
  selectedCount,
  onChange,
}: {
  pipeline: Pipeline;
  clients: User[];
  versions: Loaded<PipelineVersion[]>;
  selectedCount: number;
  onChange(changes: Partial<Pick<Pipeline, 'name' | 'description' | 'enabled' | 'clientId'>>): Promise<void>;
}) {
  const [name, setName] = useState(pipeline.name);
  const [description, setDescription] = useState(pipeline.description ?? '');
  useEffect(() => {
    setName(pipeline.name);
    setDescription(pipeline.description ?? '');
  }, [pipeline.name, pipeline.description]);
  const triggers = useApi<Triggers>(`/api/pipelines/${pipeline.id}/triggers?v=${pipeline.latestVersion ?? 0}&e=${pipeline.enabled}`);
  const action = useAction(onChange);
  const edited = name !== pipeline.name || description !== (pipeline.description ?? '');

  return (
    <div className="pipeline-panel stack">
      {selectedCount > 1 && <p className="muted">{selectedCount} nodes selected. Copy, cut, delete or drag them together.</p>}
      <h3>Pipeline</h3>
      <form
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          void action.run({ name, description: description || null } as Partial<Pipeline>);
        }}
      >
        <label>
          Name
          <input value={name} required maxLength={200} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          Description
          <textarea rows={2} value={description} onChange={(event) => setDescription(event.target.value)} />
        </label>
        {edited && (
          <button type="submit" className="small" disabled={action.busy}>
            Save name and description
          </button>
        )}
      </form>
      <label>
        Made for client
        <select aria-label="Client" value={pipeline.clientId ?? ''} disabled={action.busy} onChange={(event) => void action.run({ clientId: event.target.value || null })}>
          <option value="">No client</option>
          {clients.map((client) => (
            <option key={client.id} value={client.id}>
              {client.name}
            </option>
          ))}
        </select>
      </label>
      <label className="inline">
        <input type="checkbox" checked={pipeline.enabled} disabled={action.busy} onChange={(event) => void action.run({ enabled: event.target.checked })} />
        Enabled: production runs, webhooks and schedules work
      </label>
      <ErrorBox error={action.error} />

      <h3>Published versions</h3>
      {versions.data?.length ? (
        <ul className="plain-list">
          {versions.data.map((version) => (
            <li key={version.version}>
              <strong>v{version.version}</strong> <span className="muted">{formatTime(version.createdAt)}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">None yet. Publish makes version 1 from the saved draft.</p>
      )}

      <h3>Triggers</h3>
      {triggers.error && <ErrorBox error={triggers.error} />}
      {triggers.data && triggers.data.webhooks.length === 0 && triggers.data.schedules.length === 0 && (
        <p className="muted">No live trigger. Webhook and schedule nodes go live when a version is published and the pipeline is enabled.</p>
      )}
      {triggers.data?.webhooks.map((hook) => (
        <div key={hook.nodeId} className="trigger">
          <span className="badge">webhook</span> <code>POST {new URL(hook.url, window.location.origin).href}</code>
          <span className="muted"> {hook.signed ? 'signed (Standard Webhooks)' : 'unsigned'}</span>
        </div>
      ))}
      {triggers.data?.schedules.map((schedule) => (
        <div key={schedule.nodeId} className="trigger">
          <span className="badge">schedule</span> <code>{schedule.cron}</code> {schedule.timezone} — next {formatTime(schedule.nextFireAt)}
        </div>
      ))}
      <p>
        <Link to={`/manager/runs?pipelineId=${pipeline.id}`}>Runs of this pipeline</Link>
      </p>
    </div>
  );
}
