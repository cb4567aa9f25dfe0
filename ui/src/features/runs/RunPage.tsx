import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { post } from '../../app/api.js';
import type { Run, User } from '../../app/types.js';
import { ErrorBox, formatDuration, formatTime, PageHeader, Spinner, StatusBadge, useAction, useApi } from '../../app/ui.js';
import { isLive, NodeTimings, RunTimeline, usePipelineName, useTicking } from './common.js';
import { useLiveRun } from './live.js';
import { LogView, NodeRunDetails, RunError } from './NodeRunDetails.js';
import { nodeLabelOf, ResultView, resultNodes, ValueView } from './ResultView.js';
import './runs.css';

/** The node shown first: the one that failed, else the one running or stopped, else the one that gave the result. */
function defaultNode(run: Run): string | null {
  const byStatus = (...statuses: string[]) => run.nodes.find((node) => statuses.includes(node.status))?.nodeId;
  return byStatus('failed') ?? byStatus('running', 'canceled') ?? resultNodes(run)[0] ?? run.nodes[0]?.nodeId ?? null;
}

/** A run for its manager: what ran, how it went node by node, with Cancel and Retry. */
export function RunPage() {
  const { id = '' } = useParams();
  const { run, logs, error, reload } = useLiveRun(id);
  const pipelineName = usePipelineName(run?.pipelineId);
  const users = useApi<User[]>('/api/users');
  const navigate = useNavigate();
  const [picked, setPicked] = useState<string | null>(null);
  const [showAllLogs, setShowAllLogs] = useState(false);
  useTicking(isLive(run?.status));

  const cancel = useAction(async () => {
    await post(`/api/runs/${id}/cancel`);
    reload();
  });
  const retry = useAction(async () => {
    const created = await post<{ id: string }>(`/api/runs/${id}/retry`);
    navigate(`/manager/runs/${created.id}`);
  });
  const client = useMemo(() => users.data?.find((user) => user.id === run?.clientId), [users.data, run?.clientId]);

  const back = (
    <Link to="/manager/runs" className="back-link">
      ← Runs
    </Link>
  );
  if (!run || run.id !== id) {
    return (
      <div>
        {back}
        {error ? <ErrorBox error={error} onRetry={reload} /> : <Spinner label="Loading the run…" />}
      </div>
    );
  }
  const selected = picked && run.nodes.some((node) => node.nodeId === picked) ? picked : defaultNode(run);

  return (
    <div className="run-page">
      {back}
      <PageHeader
        title={
          <>
            Run of {pipelineName ?? 'a pipeline'} <StatusBadge status={run.status} />
          </>
        }
      >
        {isLive(run.status) && (
          <button type="button" className="danger" disabled={cancel.busy} onClick={() => void cancel.run()}>
            {cancel.busy ? 'Canceling…' : 'Cancel'}
          </button>
        )}
        {(run.status === 'failed' || run.status === 'canceled') && (
          <button type="button" disabled={retry.busy} onClick={() => void retry.run()} title="A new run that reuses the outputs of the nodes that succeeded">
            {retry.busy ? 'Starting…' : 'Retry'}
          </button>
        )}
      </PageHeader>
      <div className="stack">
        <ErrorBox error={cancel.error ?? retry.error} />
        <ErrorBox error={error} onRetry={reload} />
        <div className="grid-2">
          <section className="card">
            <dl className="facts run-facts">
              <dt>Pipeline</dt>
              <dd>
                <Link to={`/manager/pipelines/${run.pipelineId}`}>{pipelineName ?? 'Open the pipeline'}</Link>
              </dd>
              <dt>Version</dt>
              <dd>{run.version ? `v${run.version}` : 'test (draft)'}</dd>
              <dt>Mode</dt>
              <dd>{run.mode}</dd>
              <dt>Trigger</dt>
              <dd>{run.trigger}</dd>
              <dt>Client</dt>
              <dd>{run.clientId ? (client ? `${client.name} (${client.email})` : 'another client') : '—'}</dd>
              {run.retryOf && (
                <>
                  <dt>Retry of</dt>
                  <dd>
                    <Link to={`/manager/runs/${run.retryOf}`}>the original run</Link>
                  </dd>
                </>
              )}
              <dt>Duration</dt>
              <dd>{run.startedAt ? formatDuration(run.startedAt, run.finishedAt) : '—'}</dd>
              <dt>Run id</dt>
              <dd className="mono muted">{run.id}</dd>
            </dl>
          </section>
          <section className="card">
            <h3 className="card-title">Status history</h3>
            <RunTimeline run={run} />
          </section>
        </div>
        {run.status === 'failed' && <RunError error={run.error} title="The run failed" />}

        <section className="card" aria-label="Result">
          <h2 className="card-title">Result</h2>
          {isLive(run.status) ? <Spinner label={run.status === 'queued' ? 'Waiting for a worker…' : 'Running…'} /> : <ResultView run={run} />}
        </section>

        <section className="card" aria-label="Nodes">
          <h2 className="card-title">Nodes</h2>
          <NodeTimings run={run} onSelect={setPicked} selected={selected} />
          {selected && (
            <section className="node-detail" aria-label={`Node ${selected}`}>
              <h3>{nodeLabelOf(run, selected)}</h3>
              <NodeRunDetails run={run} nodeId={selected} logs={logs} />
            </section>
          )}
        </section>

        <section className="card" aria-label="Input">
          <h2 className="card-title">Input</h2>
          <ValueView value={run.input} runId={run.id} empty="No input (null)." />
        </section>

        <section className="card" aria-label="All logs">
          <div className="row">
            <h2 className="card-title">All logs ({logs.length})</h2>
            <span className="spacer" />
            {logs.length > 0 && (
              <button type="button" className="secondary small" onClick={() => setShowAllLogs(!showAllLogs)}>
                {showAllLogs ? 'Hide' : 'Show'}
              </button>
            )}
          </div>
          {logs.length === 0 ? <p className="muted">No log lines{isLive(run.status) ? ' yet' : ''}.</p> : showAllLogs && <LogView lines={logs} showNode live={isLive(run.status)} />}
        </section>
        <p className="muted small-print">
          Created {formatTime(run.createdAt)} · started {formatTime(run.startedAt)} · finished {formatTime(run.finishedAt)}
        </p>
      </div>
    </div>
  );
}
