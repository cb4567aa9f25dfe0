/** Pieces the admin pages share: confirmation dialogs, checklists, the types of admin-only answers. */
import { useState, type ReactNode } from 'react';
import { ErrorBox, Modal, useAction } from '../../app/ui.js';

/** Asks before a destructive action; the action's error stays in the dialog. */
export function ConfirmModal({
  title,
  children,
  confirmLabel,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm(): Promise<unknown>;
  onClose(): void;
}) {
  const action = useAction(async () => {
    await onConfirm();
    onClose();
  });
  return (
    <Modal title={title} onClose={onClose}>
      <div className="stack">
        <div>{children}</div>
        <ErrorBox error={action.error} />
        <div className="row">
          <span className="spacer" />
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="danger" disabled={action.busy} onClick={() => void action.run()}>
            {action.busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </div>
    </Modal>
  );
}

export interface ChecklistItem {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
}

/** Checkboxes over a list with a text filter once it is long. */
export function Checklist({ items, selected, onChange, empty }: { items: ChecklistItem[]; selected: Set<string>; onChange(next: Set<string>): void; empty: ReactNode }) {
  const [filter, setFilter] = useState('');
  if (items.length === 0) return <p className="empty">{empty}</p>;
  const needle = filter.trim().toLowerCase();
  const shown = needle ? items.filter((item) => `${String(item.label)} ${String(item.hint ?? '')}`.toLowerCase().includes(needle)) : items;
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    onChange(next);
  };
  return (
    <div className="stack">
      {items.length > 8 && (
        <label>
          Filter
          <input type="search" value={filter} onChange={(event) => setFilter(event.target.value)} placeholder="Name or email" />
        </label>
      )}
      <div className="row">
        <span className="muted">
          {selected.size} of {items.length} selected
        </span>
        <span className="spacer" />
        <button type="button" className="link" onClick={() => onChange(new Set([...selected, ...shown.map((item) => item.id)]))}>
          Select all
        </button>
        <button type="button" className="link" onClick={() => onChange(new Set([...selected].filter((id) => !shown.some((item) => item.id === id))))}>
          Clear
        </button>
      </div>
      <ul className="admin-checklist">
        {shown.map((item) => (
          <li key={item.id}>
            <label className="inline">
              <input type="checkbox" checked={selected.has(item.id)} onChange={(event) => toggle(item.id, event.target.checked)} />
              <span>{item.label}</span>
              {item.hint && <span className="muted">{item.hint}</span>}
            </label>
          </li>
        ))}
      </ul>
    </div>
  );
}

export interface GroupInfo {
  id: string;
  name: string;
  description: string | null;
  memberIds: string[];
  createdAt: string;
}

export interface PluginInfo {
  id: string;
  package: string;
  version: string;
  pluginId: string | null;
  source: 'builtin' | 'registry' | 'upload';
  status: 'installed' | 'failed';
  error: string | null;
  enabled: boolean;
  ui: { remoteEntry: string; name: string } | null;
  nodeTypes: Array<{ type: string; version: string }>;
  installedAt: string;
}

export interface ServiceAccount {
  id: string;
  name: string;
  tokenPrefix: string;
  groupIds: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

export interface AuditEvent {
  id: string;
  at: string;
  actorType: 'user' | 'service' | 'system' | 'anonymous';
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  requestId: string | null;
}

export interface OrgSettings {
  sandbox: { memoryMb: number; timeoutMs: number };
  scripts: { timeoutMs: number; memoryMb: number; cpus: number; pids: number };
}
