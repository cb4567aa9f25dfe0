/**
 * Per-node state that is not part of the graph: the live status of the test run on screen and
 * validation errors. Kept outside React state so that one node's change re-renders that node
 * only (a 500-node pipeline stays smooth while a run updates it).
 */
import { useSyncExternalStore } from 'react';
import type { GraphError, NodeStatus } from '../../app/types.js';

export interface NodeState {
  status?: NodeStatus;
  errors?: GraphError[];
}

const EMPTY: NodeState = {};

export class NodeStateStore {
  private states = new Map<string, NodeState>();
  private listeners = new Map<string, Set<() => void>>();
  private edgeErrors = new Map<string, GraphError[]>();

  get(nodeId: string): NodeState {
    return this.states.get(nodeId) ?? EMPTY;
  }

  edgeErrorsOf(edgeId: string): GraphError[] | undefined {
    return this.edgeErrors.get(edgeId);
  }

  subscribe(nodeId: string, listener: () => void): () => void {
    let set = this.listeners.get(nodeId);
    if (!set) this.listeners.set(nodeId, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  private update(nodeId: string, patch: Partial<NodeState>) {
    const previous = this.get(nodeId);
    const next = { ...previous, ...patch };
    if (next.status === previous.status && next.errors === previous.errors) return;
    this.states.set(nodeId, next);
    for (const listener of this.listeners.get(nodeId) ?? []) listener();
  }

  setStatus(nodeId: string, status: NodeStatus | undefined) {
    this.update(nodeId, { status });
  }

  clearStatuses() {
    for (const nodeId of [...this.states.keys()]) this.update(nodeId, { status: undefined });
  }

  /** Replaces every validation error; returns the errors that name no node or edge. */
  setErrors(errors: GraphError[]): GraphError[] {
    const byNode = new Map<string, GraphError[]>();
    this.edgeErrors.clear();
    const general: GraphError[] = [];
    for (const error of errors) {
      if (error.nodeId) byNode.set(error.nodeId, [...(byNode.get(error.nodeId) ?? []), error]);
      else if (error.edgeId) this.edgeErrors.set(error.edgeId, [...(this.edgeErrors.get(error.edgeId) ?? []), error]);
      else general.push(error);
    }
    for (const nodeId of new Set([...this.states.keys(), ...byNode.keys()])) this.update(nodeId, { errors: byNode.get(nodeId) });
    return general;
  }
}

export function useNodeState(store: NodeStateStore, nodeId: string): NodeState {
  return useSyncExternalStore(
    (listener) => store.subscribe(nodeId, listener),
    () => store.get(nodeId),
  );
}
