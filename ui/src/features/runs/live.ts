/**
 * Live run status over Socket.IO: one connection per page, authenticated with the session's
 * token, subscribed to the runs on screen. `useLiveRun` loads a run, then keeps it current
 * from `run`, `node` and `log` events; it reloads once the run ends, for outputs and artifacts.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { get, session } from '../../app/api.js';
import type { LogLine, NodeStatus, Run, RunStatus } from '../../app/types.js';

export interface RunEvent {
  type: 'run';
  runId: string;
  status: RunStatus;
  output?: unknown;
  error?: unknown;
  at: string;
}
export interface NodeEvent {
  type: 'node';
  runId: string;
  nodeId: string;
  status: NodeStatus;
  attempt: number;
  error?: unknown;
  at: string;
}
export interface LogEvent extends LogLine {
  type: 'log';
  runId: string;
}

let socket: Socket | undefined;
let socketToken: string | null = null;
type Listener = (event: RunEvent | NodeEvent | LogEvent) => void;
interface Subscription {
  listeners: Set<Listener>;
  /** True once the server confirmed it: from then on no event of the run is missed. */
  ready: boolean;
  waiting: Array<() => void>;
}
const subscriptions = new Map<string, Subscription>();

function sendSubscribe(live: Socket, runId: string) {
  live.emit('subscribe', { runId }, () => {
    const subscription = subscriptions.get(runId);
    if (!subscription) return;
    subscription.ready = true;
    for (const resolve of subscription.waiting.splice(0)) resolve();
  });
}

function connection(): Socket {
  if (socket && socketToken === session.token) return socket;
  socket?.disconnect();
  socketToken = session.token;
  const live = io({ path: '/socket.io', auth: { token: socketToken }, transports: ['websocket'] });
  socket = live;
  // After a reconnect the server has forgotten our subscriptions.
  live.on('connect', () => {
    for (const runId of subscriptions.keys()) sendSubscribe(live, runId);
  });
  for (const type of ['run', 'node', 'log'] as const) {
    live.on(type, (event: RunEvent | NodeEvent | LogEvent) => {
      for (const listener of subscriptions.get(event.runId)?.listeners ?? []) listener(event);
    });
  }
  return live;
}

/**
 * Calls `listener` with the run's events until the returned function is called; `onReady` once
 * the server has the subscription (state read after that misses no later event).
 */
export function subscribeRun(runId: string, listener: Listener, onReady?: () => void): () => void {
  const live = connection();
  let subscription = subscriptions.get(runId);
  if (!subscription) {
    subscription = { listeners: new Set(), ready: false, waiting: [] };
    subscriptions.set(runId, subscription);
    if (live.connected) sendSubscribe(live, runId);
  }
  subscription.listeners.add(listener);
  if (onReady) {
    if (subscription.ready) queueMicrotask(onReady);
    else subscription.waiting.push(onReady);
  }
  const current = subscription;
  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size === 0) {
      subscriptions.delete(runId);
      live.emit('unsubscribe', { runId });
    }
  };
}

export const FINISHED: ReadonlySet<string> = new Set(['succeeded', 'failed', 'canceled']);
const FINISHED_NODE: ReadonlySet<string> = new Set(['succeeded', 'failed', 'canceled', 'skipped']);

export interface LiveRun {
  run: Run | undefined;
  logs: LogLine[];
  error: Error | undefined;
  reload(): void;
}

/** A run kept current while it is on screen. */
export function useLiveRun(runId: string | null): LiveRun {
  const [run, setRun] = useState<Run>();
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [error, setError] = useState<Error>();
  const [tick, setTick] = useState(0);
  const current = useRef<string | null>(null);

  useEffect(() => {
    current.current = runId;
    setRun(undefined);
    setLogs([]);
    setError(undefined);
    if (!runId) return;
    let active = true;
    let reloadTimer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const [loaded, lines] = await Promise.all([get<Run>(`/api/runs/${runId}`), get<LogLine[]>(`/api/runs/${runId}/logs`)]);
        if (!active) return;
        setRun(loaded);
        setLogs(lines);
        if (!loadedRun) {
          loadedRun = loaded;
          for (const event of early.splice(0)) apply(event);
        }
      } catch (caught) {
        if (active) setError(caught as Error);
      }
    };
    // Subscribe, load once the server has the subscription; events that arrive before the load are applied after it.
    let loadedRun: Run | undefined;
    const early: Array<RunEvent | NodeEvent> = [];
    const apply = (event: RunEvent | NodeEvent) => {
      if (!loadedRun) {
        early.push(event);
        return;
      }
      if (event.type === 'node') setRun((previous) => (previous ? applyNodeEvent(previous, event) : previous));
      else {
        setRun((previous) => (previous ? { ...previous, status: event.status, output: event.output ?? previous.output, error: event.error ?? previous.error } : previous));
        if (FINISHED.has(event.status)) {
          clearTimeout(reloadTimer);
          reloadTimer = setTimeout(() => void load(), 50);
        }
      }
    };
    const unsubscribe = subscribeRun(
      runId,
      (event) => {
        if (!active) return;
        if (event.type === 'log') setLogs((lines) => [...lines, { at: event.at, nodeId: event.nodeId, attempt: event.attempt, stream: event.stream, line: event.line }]);
        else apply(event);
      },
      async () => {
        await load();
        // A node's running state is stored only once it has run for a moment (light nodes skip
        // that write): a run that had just started when subscribed is read once more.
        if (active && loadedRun && !FINISHED.has(loadedRun.status)) reloadTimer = setTimeout(() => void load(), 150);
      },
    );
    // Without a live connection the page still shows the run as stored.
    const fallback = setTimeout(() => !loadedRun && void load(), 3000);
    return () => {
      active = false;
      clearTimeout(reloadTimer);
      clearTimeout(fallback);
      unsubscribe();
    };
  }, [runId, tick]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { run, logs, error, reload };
}

function applyNodeEvent(run: Run, event: NodeEvent): Run {
  const nodes = [...run.nodes];
  const index = nodes.findIndex((node) => node.nodeId === event.nodeId);
  const known = nodes[index];
  // An event older than what was loaded (it arrived before the load) must not move a node back.
  if (known && FINISHED_NODE.has(known.status) && !FINISHED_NODE.has(event.status) && event.attempt <= Math.max(0, ...known.attempts.map((attempt) => attempt.attempt))) return run;
  const base = index >= 0 ? nodes[index]! : { nodeId: event.nodeId, status: event.status, input: null, output: null, error: null, startedAt: null, finishedAt: null, attempts: [], artifacts: [] };
  const attempts = [...base.attempts];
  const attemptIndex = attempts.findIndex((attempt) => attempt.attempt === event.attempt);
  const attempt = { attempt: event.attempt, status: event.status, error: event.error ?? null, startedAt: attemptIndex >= 0 ? attempts[attemptIndex]!.startedAt : event.at, finishedAt: FINISHED.has(event.status) ? event.at : null };
  if (event.attempt > 0) {
    if (attemptIndex >= 0) attempts[attemptIndex] = attempt;
    else attempts.push(attempt);
  }
  const updated = { ...base, status: event.status, error: event.error ?? base.error, attempts };
  if (index >= 0) nodes[index] = updated;
  else nodes.push(updated);
  return { ...run, nodes };
}
