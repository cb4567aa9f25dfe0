import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { formatDuration, formatTime, PageHeader, StatusBadge } from '../../app/ui.js';
import { RUN_STATUSES, RunListView, useRunList, useTicking } from '../runs/common.js';
import './client.css';

/** "My results": the production runs made for the signed-in client, newest first. */
export function MyResultsPage() {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const pipelineId = params.get('pipelineId') ?? '';
  const list = useRunList({ status, pipelineId }, 30);
  const navigate = useNavigate();
  useTicking(list.items.some((run) => run.status === 'running'));

  // Clients cannot list pipelines: the choice is made of the pipelines their runs came from.
  const [pipelines, setPipelines] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    setPipelines((known) => {
      const fresh = list.items.filter((run) => !known.has(run.pipelineId));
      if (fresh.length === 0) return known;
      const next = new Map(known);
      for (const run of fresh) next.set(run.pipelineId, run.pipelineName ?? 'Unnamed pipeline');
      return next;
    });
  }, [list.items]);
  const pipelineOptions = useMemo(() => [...pipelines.entries()].sort((a, b) => a[1].localeCompare(b[1])), [pipelines]);

  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const filtered = Boolean(status || pipelineId);

  return (
    <div className="client-portal">
      <PageHeader title="My results">
        <button type="button" className="secondary" onClick={list.reload} disabled={list.loading}>
          Refresh
        </button>
      </PageHeader>
      <div className="row filters" role="search">
        <label>
          Pipeline
          <select value={pipelineId} onChange={(event) => setFilter('pipelineId', event.target.value)}>
            <option value="">All pipelines</option>
            {pipelineOptions.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={status} onChange={(event) => setFilter('status', event.target.value)}>
            <option value="">Any status</option>
            {RUN_STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
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
      <RunListView list={list} loadingLabel="Loading your results…" empty={filtered ? 'No result matches these filters.' : 'No results yet. Runs made for you appear here as soon as they start.'}>
        <table className={`table runs-table${list.loading ? ' stale' : ''}`}>
          <thead>
            <tr>
              <th scope="col">Pipeline</th>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Finished</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((run) => (
              <tr key={run.id} className="clickable" onClick={() => navigate(`/client/runs/${run.id}`)}>
                <td>
                  <Link to={`/client/runs/${run.id}`} onClick={(event) => event.stopPropagation()}>
                    {run.pipelineName ?? 'Unnamed pipeline'}
                  </Link>
                </td>
                <td>{run.version ? `v${run.version}` : '—'}</td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>{formatTime(run.createdAt)}</td>
                <td>{formatTime(run.finishedAt)}</td>
                <td>{run.startedAt ? formatDuration(run.startedAt, run.finishedAt) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </RunListView>
    </div>
  );
}
