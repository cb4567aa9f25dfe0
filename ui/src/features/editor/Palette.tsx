import { useMemo, useState } from 'react';
import type { NodeType } from '../../app/types.js';
import { categoryColor, initials } from './context.js';

export const DRAG_TYPE = 'application/x-piper-node-type';

/** Node types to add: searchable, grouped by category; drag one onto the canvas, or click to add it. */
export function Palette({ nodeTypes, onAdd }: { nodeTypes: NodeType[]; onAdd(nodeType: NodeType): void }) {
  const [search, setSearch] = useState('');
  const groups = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const latest = new Map<string, NodeType>();
    for (const nodeType of nodeTypes) {
      const known = latest.get(nodeType.type);
      if (!known || compareVersions(nodeType.version, known.version) > 0) latest.set(nodeType.type, nodeType);
    }
    const matching = [...latest.values()].filter(
      (nodeType) => !needle || [nodeType.name, nodeType.type, nodeType.category ?? '', nodeType.description ?? ''].some((text) => text.toLowerCase().includes(needle)),
    );
    const byCategory = new Map<string, NodeType[]>();
    for (const nodeType of matching) byCategory.set(nodeType.category ?? 'Other', [...(byCategory.get(nodeType.category ?? 'Other') ?? []), nodeType]);
    return [...byCategory.entries()].sort(([a], [b]) => (a === 'Triggers' ? -1 : b === 'Triggers' ? 1 : a.localeCompare(b)));
  }, [nodeTypes, search]);

  return (
    <aside className="palette" aria-label="Node palette">
      <input type="search" placeholder="Search nodes…" aria-label="Search nodes" value={search} onChange={(event) => setSearch(event.target.value)} />
      <div className="palette-list">
        {groups.length === 0 && <p className="empty">No node type matches “{search}”.</p>}
        {groups.map(([category, types]) => (
          <section key={category}>
            <h4>{category}</h4>
            {types
              .sort((a, b) => a.name.localeCompare(b.name))
              .map((nodeType) => (
                <button
                  key={nodeType.type}
                  type="button"
                  className="palette-item"
                  draggable
                  title={`${nodeType.description ?? nodeType.name}\n${nodeType.type} ${nodeType.version} — drag onto the canvas, or click to add`}
                  data-node-type={nodeType.type}
                  onDragStart={(event) => {
                    event.dataTransfer.setData(DRAG_TYPE, JSON.stringify({ type: nodeType.type, version: nodeType.version }));
                    event.dataTransfer.effectAllowed = 'move';
                  }}
                  onClick={() => onAdd(nodeType)}
                >
                  <span className="icon" style={{ background: categoryColor(nodeType.category) }} aria-hidden>
                    {initials(nodeType.name)}
                  </span>
                  <span className="text">
                    <span className="title">{nodeType.name}</span>
                    <span className="subtitle">{nodeType.type}</span>
                  </span>
                </button>
              ))}
          </section>
        ))}
      </div>
    </aside>
  );
}

/** Semver order of x.y.z versions (pre-release tags sort before their release). */
export function compareVersions(a: string, b: string): number {
  const parse = (version: string) => version.split(/[.+-]/).map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const [left, right] = [parse(a), parse(b)];
  for (let index = 0; index < 3; index++) {
    const difference = Number(left[index] ?? 0) - Number(right[index] ?? 0);
    if (difference) return difference;
  }
  return a.includes('-') === b.includes('-') ? a.localeCompare(b) : a.includes('-') ? -1 : 1;
}
