import { createContext, useContext } from 'react';
import type { NodeType } from '../../app/types.js';
import type { NodeStateStore } from './node-state.js';

export interface EditorContextValue {
  store: NodeStateStore;
  /** The node type of a graph node: its pinned version, or the newest installed. */
  nodeTypeOf(type: string, version?: string): NodeType | undefined;
}

export const EditorContext = createContext<EditorContextValue | null>(null);

export function useEditor(): EditorContextValue {
  const value = useContext(EditorContext);
  if (!value) throw new Error('useEditor outside the editor');
  return value;
}

const CATEGORY_COLORS: Record<string, string> = {
  Triggers: '#7c3aed',
  Flow: '#0891b2',
  Code: '#ea580c',
  Data: '#16a34a',
  Network: '#2563eb',
};

export function categoryColor(category: string | undefined): string {
  if (category && CATEGORY_COLORS[category]) return CATEGORY_COLORS[category];
  let hash = 0;
  for (const char of category ?? 'Other') hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return `hsl(${hash} 55% 42%)`;
}

/** Two letters standing for a node type when it has no icon: "Run query" → "RQ". */
export function initials(name: string): string {
  const words = name.split(/[\s._-]+/).filter(Boolean);
  return ((words[0]?.[0] ?? '?') + (words[1]?.[0] ?? words[0]?.[1] ?? '')).toUpperCase();
}
