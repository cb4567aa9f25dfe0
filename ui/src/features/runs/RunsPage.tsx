import { useMemo } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import type { Pipeline, User } from '../../app/types.js';
import { ErrorBox, formatDuration, formatTime, PageHeader, StatusBadge, useApi } from '../../app/ui.js';
import { RUN_STATUSES, RunListView, useRunList, useTicking } from './common.js';
import './runs.css';

const FILTERS = ['pipelineId', 'status', 'mode', 'clientId'] as const;

/** The run history of the manager's pipelines (admins: the org's), filtered by the query string. */
export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const filter = Object.fromEntries(FILTERS.map((key) => [key, params.get(key) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const list = useRunList(filter);
  const pipelines = useApi<Pipeline[]>('/api/pipelines');
  const users = useApi<User[]>('/api/users');
  const navigate = useNavigate();
  useTicking(list.items.some((run) => run.status === 'running'));

  const clients = useMemo(() => (users.data ?? []).filter((user) => user.role === 'client'), [users.data]);
  const clientName = (id: string | null) => {
    if (!id) return <span className="muted">—</span>;
    const client = clients.find((candidate) => candidate.id === id);
    return client ? client.name : <span className="muted">another client</span>;
  };
  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const filtered = FILTERS.some((key) => filter[key]);

  return (
    <div>
      <PageHeader title="Runs">
        <button type="button" className="secondary" onClick={list.reload} disabled={list.loading}>
          Refresh
        </button>
      </PageHeader>
      <div className="row filters" role="search">
        <label>
          Pipeline
          <select value={filter.pipelineId} onChange={(event) => setFilter('pipelineId', event.target.value)} disabled={!pipelines.data}>
            <option value="">All pipelines</option>
            {(pipelines.data ?? []).map((pipeline) => (
              <option key={pipeline.id} value={pipeline.id}>
                {pipeline.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={filter.status} onChange={(event) => setFilter('status', event.target.value)}>
            <option value="">Any status</option>
            {RUN_STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <label>
          Mode
          <select value={filter.mode} onChange={(event) => setFilter('mode', event.target.value)}>
            <option value="">Test and production</option>
            <option value="production">production</option>
            <option value="test">test</option>
          </select>
        </label>
        <label>
          Client
          <select value={filter.clientId} onChange={(event) => setFilter('clientId', event.target.value)} disabled={!users.data}>
            <option value="">Any client</option>
            {clients.map((client) => (
              <option key={client.id} value={client.id}>
                {client.name} ({client.email})
              </option>
            ))}
          </select>
        </label>
        {filtered && (
          <button type="button" className="link clear-filters" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
            Clear filters
          </button>
        )}
      </div>
      <ErrorBox error={pipelines.error} onRetry={pipelines.reload} />
      <ErrorBox error={users.error} onRetry={users.reload} />
      <RunListView list={list} loadingLabel="Loading runs…" empty={filtered ? 'No run matches these filters.' : 'No runs yet. Play a pipeline in the editor, or run a published version.'}>
        <table className={`table runs-table${list.loading ? ' stale' : ''}`}>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Pipeline</th>
              <th scope="col">Version</th>
              <th scope="col">Mode</th>
              <th scope="col">Trigger</th>
              <th scope="col">Client</th>
              <th scope="col">Created</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((run) => (
              <tr key={run.id} className="clickable" onClick={() => navigate(`/manager/runs/${run.id}`)}>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>
                  <Link to={`/manager/runs/${run.id}`} onClick={(event) => event.stopPropagation()}>
                    {run.pipelineName ?? 'Deleted pipeline'}
                  </Link>
                </td>
                <td>{run.version ? `v${run.version}` : <span className="muted">draft</span>}</td>
                <td>{run.mode}</td>
                <td>{run.trigger}</td>
                <td>{clientName(run.clientId)}</td>
                <td>{formatTime(run.createdAt)}</td>
                <td>{run.startedAt ? formatDuration(run.startedAt, run.finishedAt) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </RunListView>
    </div>
  );
}
