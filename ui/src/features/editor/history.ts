import type { FlowEdge, FlowNode } from './graph.js';

export interface Snapshot {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

const LIMIT = 200;
/** Edits of one field within this time are one undo step (typing in a form field). */
const COALESCE_MS = 1500;

/** Undo and redo of graph snapshots. */
export class History {
  private past: Snapshot[] = [];
  private future: Snapshot[] = [];
  private lastKey: string | undefined;
  private lastAt = 0;

  /** Records the state before a change; a change with the key of the previous one shortly after joins it. */
  record(before: Snapshot, key?: string): void {
    const now = Date.now();
    // One gesture can report several changes before the page redraws (nodes, then their edges): one step.
    const last = this.past[this.past.length - 1];
    if (last && last.nodes === before.nodes && last.edges === before.edges) return;
    if (key && key === this.lastKey && now - this.lastAt < COALESCE_MS) {
      this.lastAt = now;
      return;
    }
    this.past.push(before);
    if (this.past.length > LIMIT) this.past.shift();
    this.future = [];
    this.lastKey = key;
    this.lastAt = now;
  }

  undo(current: Snapshot): Snapshot | undefined {
    const previous = this.past.pop();
    if (previous) this.future.push(current);
    this.lastKey = undefined;
    return previous;
  }

  redo(current: Snapshot): Snapshot | undefined {
    const next = this.future.pop();
    if (next) this.past.push(current);
    this.lastKey = undefined;
    return next;
  }

  get canUndo() {
    return this.past.length > 0;
  }

  get canRedo() {
    return this.future.length > 0;
  }

  clear() {
    this.past = [];
    this.future = [];
    this.lastKey = undefined;
  }
}
