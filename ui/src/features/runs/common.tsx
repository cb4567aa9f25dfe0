/** Pieces the run pages of managers and clients share: the paged run list, the status history, node timings. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { get, query } from '../../app/api.js';
import type { Page, Run, RunSummary } from '../../app/types.js';
import { Empty, ErrorBox, formatDuration, formatTime, Spinner, StatusBadge } from '../../app/ui.js';
import { subscribeRun } from './live.js';
import { nodeLabelOf } from './ResultView.js';
import './runs.css';

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;

export interface RunFilter {
  pipelineId?: string;
  status?: string;
  clientId?: string;
  mode?: string;
}

export interface RunList {
  items: RunSummary[];
  nextCursor: string | null;
  loading: boolean;
  loadingMore: boolean;
  error: Error | undefined;
  loadMore(): void;
  reload(): void;
}

/** GET /api/runs with `filter`, a page at a time: "Load more" appends the next page. */
export function useRunList(filter: RunFilter, limit = 50): RunList {
  const [items, setItems] = useState<RunSummary[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<Error>();
  const [tick, setTick] = useState(0);
  const key = query({ ...filter, limit });
  const currentKey = useRef(key);
  currentKey.current = key;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    get<Page<RunSummary>>(`/api/runs${key}`, controller.signal)
      .then((page) => {
        if (controller.signal.aborted) return;
        setItems(page.items);
        setNextCursor(page.nextCursor);
      })
      // An aborted request can also fail while its body is read (not as an AbortError): a newer one is on its way.
      .catch((caught: Error) => !controller.signal.aborted && setError(caught))
      .finally(() => !controller.signal.aborted && setLoading(false));
    return () => controller.abort();
  }, [key, tick]);

  const loadMore = useCallback(() => {
    if (!nextCursor) return;
    setLoadingMore(true);
    setError(undefined);
    const separator = key ? '&' : '?';
    get<Page<RunSummary>>(`/api/runs${key}${separator}cursor=${encodeURIComponent(nextCursor)}`)
      .then((page) => {
        // The filters changed meanwhile: this page belongs to a list no longer shown.
        if (currentKey.current !== key) return;
        setItems((previous) => {
          const seen = new Set(previous.map((run) => run.id));
          return [...previous, ...page.items.filter((run) => !seen.has(run.id))];
        });
        setNextCursor(page.nextCursor);
      })
      .catch((caught: Error) => setError(caught))
      .finally(() => setLoadingMore(false));
  }, [key, nextCursor]);

  // Runs still going are followed live, so their status changes without a reload.
  const going = items
    .filter((run) => run.status === 'queued' || run.status === 'running')
    .map((run) => run.id)
    .join(',');
  useEffect(() => {
    if (!going) return;
    const unsubscribes = going.split(',').map((runId) =>
      subscribeRun(runId, (event) => {
        if (event.type !== 'run') return;
        setItems((previous) =>
          previous.map((run) =>
            run.id !== runId
              ? run
              : {
                  ...run,
                  status: event.status,
                  startedAt: run.startedAt ?? (event.status === 'queued' ? null : event.at),
                  finishedAt: FINAL.has(event.status) ? event.at : run.finishedAt,
                },
          ),
        );
      }),
    );
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }, [going]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { items, nextCursor, loading, loadingMore, error, loadMore, reload };
}

/** Re-renders every second while `active`, so running durations tick. */
export function useTicking(active: boolean) {
  const [, setNow] = useState(0);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
}

const FINAL = new Set(['succeeded', 'failed', 'canceled']);

/** The run's status history: queued → running → how it ended, with times. */
export function RunTimeline({ run }: { run: Pick<Run, 'status' | 'createdAt' | 'startedAt' | 'finishedAt'> }) {
  const finished = FINAL.has(run.status);
  const steps: Array<{ status: string; label: string; at: string | null; reached: boolean; current: boolean }> = [
    { status: 'queued', label: 'Queued', at: run.createdAt, reached: true, current: run.status === 'queued' },
    { status: 'running', label: 'Running', at: run.startedAt, reached: Boolean(run.startedAt) || run.status === 'running', current: run.status === 'running' },
    finished
      ? { status: run.status, label: run.status === 'succeeded' ? 'Succeeded' : run.status === 'failed' ? 'Failed' : 'Canceled', at: run.finishedAt, reached: true, current: true }
      : { status: 'pending', label: 'Finished', at: null, reached: false, current: false },
  ];
  return (
    <ol className="run-timeline" aria-label="Status history">
      {steps.map((step) => (
        <li key={step.label} className={`${step.reached ? 'reached' : 'ahead'}${step.current ? ' current' : ''} step-${step.status}`}>
          <span className="dot" aria-hidden />
          <span className="step-label">{step.label}</span>
          <span className="muted step-time">{step.reached ? formatTime(step.at) : run.status === 'queued' || run.status === 'running' ? 'waiting…' : '—'}</span>
        </li>
      ))}
      {run.startedAt && <li className="timeline-total muted">{finished ? 'took' : 'running for'} {formatDuration(run.startedAt, run.finishedAt)}</li>}
    </ol>
  );
}

/** Every node's status and timing as bars on the run's time line; read-only. */
export function NodeTimings({ run, onSelect, selected }: { run: Run; onSelect?(nodeId: string): void; selected?: string | null }) {
  const starts = run.nodes.map((node) => node.startedAt).filter((at): at is string => Boolean(at)).map((at) => new Date(at).getTime());
  const origin = run.startedAt ? new Date(run.startedAt).getTime() : Math.min(...starts);
  const end = run.finishedAt ? new Date(run.finishedAt).getTime() : Date.now();
  const span = Math.max(1, end - origin);
  const order = new Map((run.graph?.nodes ?? []).map((node, index) => [node.id, index]));
  const nodes = [...run.nodes].sort((a, b) => (order.get(a.nodeId) ?? 0) - (order.get(b.nodeId) ?? 0));
  if (nodes.length === 0) return <p className="muted">No node has run yet.</p>;
  return (
    <ul className="node-timings">
      {nodes.map((node) => {
        const from = node.startedAt ? new Date(node.startedAt).getTime() - origin : 0;
        const to = node.startedAt ? (node.finishedAt ? new Date(node.finishedAt).getTime() : Date.now()) - origin : 0;
        const left = Math.max(0, Math.min(100, (from / span) * 100));
        const width = node.startedAt ? Math.max(0.8, Math.min(100 - left, ((to - from) / span) * 100)) : 0;
        const label = nodeLabelOf(run, node.nodeId);
        const content = (
          <>
            <span className="timing-name" title={label}>
              {label}
            </span>
            <StatusBadge status={node.status} />
            <span className="timing-track" aria-hidden>
              {width > 0 && <span className={`timing-bar status-${node.status}`} style={{ left: `${left}%`, width: `${width}%` }} />}
            </span>
            <span className="muted timing-duration">{node.startedAt ? formatDuration(node.startedAt, node.finishedAt) : run.retryOf && node.status === 'succeeded' ? 'reused' : '—'}</span>
          </>
        );
        return (
          <li key={node.nodeId} className={selected === node.nodeId ? 'selected' : ''}>
            {onSelect ? (
              <button type="button" className="timing-row" onClick={() => onSelect(node.nodeId)} aria-label={`Show node ${label}`} aria-pressed={selected === node.nodeId}>
                {content}
              </button>
            ) : (
              <div className="timing-row">{content}</div>
            )}
          </li>
        );
      })}
    </ul>
  );
}

export const isLive = (status: string | undefined) => status === 'queued' || status === 'running';

const pipelineNames = new Map<string, Promise<string | null>>();

/**
 * A pipeline's name for any reader of its runs: the run list carries it, and clients, who
 * cannot read pipelines, can read that list.
 */
export function usePipelineName(pipelineId: string | undefined): string | undefined {
  const [name, setName] = useState<string>();
  useEffect(() => {
    if (!pipelineId) return;
    let active = true;
    let promise = pipelineNames.get(pipelineId);
    if (!promise) {
      promise = get<Page<RunSummary>>(`/api/runs${query({ pipelineId, limit: 1 })}`).then((page) => page.items[0]?.pipelineName ?? null);
      promise.catch(() => pipelineNames.delete(pipelineId));
      pipelineNames.set(pipelineId, promise);
    }
    promise.then((found) => active && setName(found ?? undefined)).catch(() => undefined);
    return () => {
      active = false;
    };
  }, [pipelineId]);
  return name;
}

/** A run list's states around its table: error with retry, first load, nothing found, Load more. */
export function RunListView({ list, loadingLabel, empty, children }: { list: RunList; loadingLabel: string; empty: ReactNode; children: ReactNode }) {
  return (
    <>
      <ErrorBox error={list.error} onRetry={list.items.length ? list.loadMore : list.reload} />
      {list.loading && list.items.length === 0 ? <Spinner label={loadingLabel} /> : list.items.length === 0 && !list.error ? <Empty>{empty}</Empty> : list.items.length > 0 && children}
      {list.nextCursor && (
        <div className="load-more">
          <button type="button" className="secondary" onClick={list.loadMore} disabled={list.loadingMore}>
            {list.loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}
