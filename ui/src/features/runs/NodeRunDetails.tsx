/**
 * One node of a run: its status, every attempt, its input and output, its logs and files.
 * The run detail page lists them; the editor shows one in its side panel.
 */
import { useEffect, useRef, useState } from 'react';
import type { Attempt, LogLine, NodeRun, Run } from '../../app/types.js';
import { formatDuration, formatTime, StatusBadge } from '../../app/ui.js';
import { FilesView, nodeLabelOf, nodeTypeOf, OutputView, useViewers, ValueView } from './ResultView.js';
import './runs.css';

/** An error as the API stores it (`{ message, code? }`, a string, or anything else). */
export function errorText(error: unknown): string {
  if (error === null || error === undefined) return '';
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return JSON.stringify(error);
}

export function RunError({ error, title = 'Error' }: { error: unknown; title?: string }) {
  const text = errorText(error);
  if (!text) return null;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return (
    <div className="error-box run-error" role="alert">
      <strong>{title}:</strong> <span className="error-text">{text}</span>
      {typeof code === 'string' && <span className="muted"> ({code})</span>}
    </div>
  );
}

type Tab = 'output' | 'input' | 'logs' | 'files';

export function NodeRunDetails({ run, nodeId, logs }: { run: Run; nodeId: string; logs: LogLine[] }) {
  const node: NodeRun | undefined = run.nodes.find((candidate) => candidate.nodeId === nodeId);
  const type = nodeTypeOf(run, nodeId);
  const { viewers } = useViewers(run, type ? [type] : []);
  const lines = logs.filter((line) => line.nodeId === nodeId);
  const artifacts = node?.artifacts ?? [];
  const [tab, setTab] = useState<Tab>('output');
  if (!node) {
    return (
      <div className="node-run">
        <p className="muted">This node has not run{run.status === 'queued' || run.status === 'running' ? ' yet' : ''}.</p>
      </div>
    );
  }
  const tabs: Array<[Tab, string]> = [
    ['output', 'Output'],
    ['input', 'Input'],
    ['logs', `Logs (${lines.length})`],
    ['files', `Files (${artifacts.length})`],
  ];
  return (
    <div className="node-run stack" data-node-id={nodeId}>
      <div className="row node-run-head">
        <StatusBadge status={node.status} />
        {type && <span className="muted mono">{type}</span>}
        <span className="spacer" />
        <span className="muted" title={`${formatTime(node.startedAt)} → ${formatTime(node.finishedAt)}`}>
          {node.startedAt ? formatDuration(node.startedAt, node.finishedAt) : 'not started'}
        </span>
      </div>
      {node.status === 'failed' && <RunError error={node.error} title="Failed" />}
      {node.attempts.length > 0 && <Attempts attempts={node.attempts} />}
      <div className="tabs" role="tablist" aria-label={`Details of ${nodeLabelOf(run, nodeId)}`}>
        {tabs.map(([key, label]) => (
          <button key={key} type="button" role="tab" aria-selected={tab === key} className={tab === key ? 'active' : ''} onClick={() => setTab(key)}>
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={tabs.find(([key]) => key === tab)![1]}>
        {tab === 'output' && (
          <OutputView
            value={node.output}
            viewer={type ? viewers.get(type) : undefined}
            runId={run.id}
            artifacts={artifacts}
            empty={node.status === 'succeeded' ? 'No output (null).' : node.status === 'skipped' ? 'Skipped: its branch was not taken.' : 'No output.'}
          />
        )}
        {tab === 'input' && <ValueView value={node.input} runId={run.id} empty="No input (null)." />}
        {tab === 'logs' && <LogView lines={lines} live={node.status === 'running' || node.status === 'queued'} />}
        {tab === 'files' && <FilesView runId={run.id} artifacts={artifacts} />}
      </div>
    </div>
  );
}

function Attempts({ attempts }: { attempts: Attempt[] }) {
  return (
    <table className="table attempts">
      <thead>
        <tr>
          <th scope="col">Attempt</th>
          <th scope="col">Status</th>
          <th scope="col">Started</th>
          <th scope="col">Finished</th>
          <th scope="col">Duration</th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((attempt) => (
          <tr key={attempt.attempt}>
            <td>#{attempt.attempt}</td>
            <td>
              <StatusBadge status={attempt.status} />
            </td>
            <td>{formatTime(attempt.startedAt)}</td>
            <td>{formatTime(attempt.finishedAt)}</td>
            <td>{attempt.startedAt ? formatDuration(attempt.startedAt, attempt.finishedAt) : '—'}</td>
            <td className="error-text">{errorText(attempt.error) || <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const clock = new Intl.DateTimeFormat('en', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const ERROR_STREAMS = new Set(['stderr', 'error']);

/** Log lines in order: stderr and errors marked, the view following new lines while scrolled to the end. */
export function LogView({ lines, live = false, showNode = false }: { lines: LogLine[]; live?: boolean; showNode?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const atEnd = useRef(true);
  useEffect(() => {
    const element = box.current;
    if (element && atEnd.current) element.scrollTop = element.scrollHeight;
  }, [lines.length]);
  if (lines.length === 0) return <p className="muted">{live ? 'No log lines yet…' : 'No log lines.'}</p>;
  return (
    <div
      className="log-view"
      ref={box}
      role="log"
      aria-label="Logs"
      onScroll={(event) => {
        const element = event.currentTarget;
        atEnd.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
      }}
    >
      {lines.map((line, index) => (
        <div key={line.id ?? `live-${index}`} className={`log-line stream-${line.stream}${ERROR_STREAMS.has(line.stream) ? ' is-error' : ''}`} data-stream={line.stream}>
          <span className="log-time" title={line.at}>
            {clock.format(new Date(line.at))}
          </span>
          <span className="log-stream">{line.stream}</span>
          {showNode && <span className="log-node">{line.nodeId ?? 'run'}</span>}
          {line.attempt !== null && line.attempt > 1 && <span className="log-attempt">#{line.attempt}</span>}
          <span className="log-text">{line.line}</span>
        </div>
      ))}
    </div>
  );
}
