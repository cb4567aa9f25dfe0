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
const subscribers = new Map<string, Set<(event: RunEvent | NodeEvent | LogEvent) => void>>();

function connection(): Socket {
  if (socket && socketToken === session.token) return socket;
  socket?.disconnect();
  socketToken = session.token;
  socket = io({ path: '/socket.io', auth: { token: socketToken }, transports: ['websocket'] });
  // After a reconnect the server has forgotten our subscriptions.
  socket.on('connect', () => {
    for (const runId of subscribers.keys()) socket!.emit('subscribe', { runId });
  });
  for (const type of ['run', 'node', 'log'] as const) {
    socket.on(type, (event: RunEvent | NodeEvent | LogEvent) => {
      for (const listener of subscribers.get(event.runId) ?? []) listener(event);
    });
  }
  return socket;
}

/** Calls `listener` with the run's events until the returned function is called. */
export function subscribeRun(runId: string, listener: (event: RunEvent | NodeEvent | LogEvent) => void): () => void {
  const live = connection();
  let set = subscribers.get(runId);
  if (!set) {
    set = new Set();
    subscribers.set(runId, set);
    if (live.connected) live.emit('subscribe', { runId });
  }
  set.add(listener);
  return () => {
    set!.delete(listener);
    if (set!.size === 0) {
      subscribers.delete(runId);
      live.emit('unsubscribe', { runId });
    }
  };
}

export const FINISHED: ReadonlySet<string> = new Set(['succeeded', 'failed', 'canceled']);

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
      } catch (caught) {
        if (active) setError(caught as Error);
      }
    };
    // Subscribe first, then load: no event between the two is lost.
    const unsubscribe = subscribeRun(runId, (event) => {
      if (!active) return;
      if (event.type === 'log') {
        setLogs((lines) => [...lines, { at: event.at, nodeId: event.nodeId, attempt: event.attempt, stream: event.stream, line: event.line }]);
      } else if (event.type === 'node') {
        setRun((previous) => (previous ? applyNodeEvent(previous, event) : previous));
      } else {
        setRun((previous) => (previous ? { ...previous, status: event.status, output: event.output ?? previous.output, error: event.error ?? previous.error } : previous));
        if (FINISHED.has(event.status)) {
          clearTimeout(reloadTimer);
          reloadTimer = setTimeout(() => void load(), 50);
        }
      }
    });
    void load();
    return () => {
      active = false;
      clearTimeout(reloadTimer);
      unsubscribe();
    };
  }, [runId, tick]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { run, logs, error, reload };
}

function applyNodeEvent(run: Run, event: NodeEvent): Run {
  const nodes = [...run.nodes];
  const index = nodes.findIndex((node) => node.nodeId === event.nodeId);
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
