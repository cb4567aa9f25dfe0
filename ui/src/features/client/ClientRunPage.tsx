import { Link, useParams } from 'react-router-dom';
import { ErrorBox, formatDuration, formatTime, PageHeader, Spinner, StatusBadge } from '../../app/ui.js';
import { isLive, NodeTimings, RunTimeline, usePipelineName, useTicking } from '../runs/common.js';
import { RunError } from '../runs/NodeRunDetails.js';
import { ResultView } from '../runs/ResultView.js';
import { useLiveRun } from '../runs/live.js';
import './client.css';

/** One result for its client: how the run went, what it produced, its files. Nothing here changes anything. */
export function ClientRunPage() {
  const { id = '' } = useParams();
  const { run, error, reload } = useLiveRun(id);
  const pipelineName = usePipelineName(run?.pipelineId);
  useTicking(isLive(run?.status));

  const back = (
    <Link to="/client" className="back-link">
      ← My results
    </Link>
  );
  if (!run) {
    return (
      <div className="client-portal">
        {back}
        {error ? <ErrorBox error={error} onRetry={reload} /> : <Spinner label="Loading the result…" />}
      </div>
    );
  }
  return (
    <div className="client-portal client-run">
      {back}
      <PageHeader
        title={
          <>
            {pipelineName ?? 'Result'} <StatusBadge status={run.status} />
          </>
        }
      />
      <ErrorBox error={error} onRetry={reload} />
      <div className="client-run-summary">
        <section className="card">
          <h2>Run</h2>
          <dl className="facts">
            <dt>Pipeline</dt>
            <dd>{pipelineName ?? '—'}</dd>
            <dt>Version</dt>
            <dd>{run.version ? `v${run.version}` : '—'}</dd>
            <dt>Created</dt>
            <dd>{formatTime(run.createdAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatTime(run.finishedAt)}</dd>
            <dt>Duration</dt>
            <dd>{run.startedAt ? formatDuration(run.startedAt, run.finishedAt) : '—'}</dd>
          </dl>
        </section>
        <section className="card">
          <h2>Status history</h2>
          <RunTimeline run={run} />
        </section>
      </div>
      {run.status === 'failed' && <RunError error={run.error} title="The run failed" />}
      <section className="card">
        <h2>Result</h2>
        {isLive(run.status) ? (
          <Spinner label={run.status === 'queued' ? 'Waiting to start…' : 'Running… the result appears here when it is ready.'} />
        ) : (
          <ResultView run={run} />
        )}
      </section>
      <details className="card steps">
        <summary>Steps ({run.nodes.length})</summary>
        <NodeTimings run={run} />
      </details>
    </div>
  );
}
