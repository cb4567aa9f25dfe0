import { Fragment, useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { get, query } from '../../app/api.js';
import { JsonTree } from '../../app/JsonTree.js';
import type { Page, User } from '../../app/types.js';
import { Empty, ErrorBox, formatTime, PageHeader, Spinner, useApi } from '../../app/ui.js';
import type { AuditEvent, GroupInfo, PluginInfo, ServiceAccount } from './common.js';

const PAGE_SIZE = 50;
const FILTERS = ['action', 'entityType', 'entityId', 'actorId', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** Actions the server records, offered as suggestions (any text is accepted). */
const KNOWN_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.password_changed',
  'auth.password_reset',
  'auth.password_reset_requested',
  'credential.created',
  'credential.deleted',
  'credential.tested',
  'credential.updated',
  'group.created',
  'group.deleted',
  'group.members_set',
  'group.updated',
  'node_type.created',
  'org.created',
  'org.seeded',
  'pipeline.created',
  'pipeline.deleted',
  'pipeline.graph_saved',
  'pipeline.published',
  'pipeline.updated',
  'plugin.installed',
  'plugin.org_enablement_changed',
  'plugin.removed',
  'run.cancel_requested',
  'run.created',
  'run.retried',
  'service_account.created',
  'service_account.revoked',
  'settings.updated',
  'user.clients_assigned',
  'user.created',
  'user.deleted',
  'user.updated',
];
const ENTITY_TYPES = ['user', 'group', 'credential', 'service_account', 'plugin', 'node_type', 'pipeline', 'run', 'org', 'org_settings', 'session'];

/** A local calendar day as the instant it starts; `to` days count whole (up to the next midnight). */
function dayStart(day: string, plusDays = 0): string | undefined {
  if (!day) return undefined;
  const date = new Date(`${day}T00:00:00`);
  if (Number.isNaN(date.getTime())) return undefined;
  date.setDate(date.getDate() + plusDays);
  return date.toISOString();
}

/** The org's audit log, newest first, with filters and keyset pages. */
export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const applied = useMemo(() => Object.fromEntries(FILTERS.map((key) => [key, params.get(key) ?? ''])) as Filters, [params]);
  const [draft, setDraft] = useState<Filters>(applied);
  useEffect(() => setDraft(applied), [applied]);
  const users = useApi<User[]>('/api/users');
  const accounts = useApi<ServiceAccount[]>('/api/service-accounts');
  const groups = useApi<GroupInfo[]>('/api/groups');
  const plugins = useApi<PluginInfo[]>('/api/plugins');
  // Ids in events read better as the names they stand for (when the thing still exists).
  const names = useMemo(() => {
    const map = new Map<string, string>();
    for (const user of users.data ?? []) map.set(user.id, user.email);
    for (const group of groups.data ?? []) map.set(group.id, `group ${group.name}`);
    for (const account of accounts.data ?? []) map.set(account.id, `service account ${account.name}`);
    for (const plugin of plugins.data ?? []) map.set(plugin.id, `${plugin.package}@${plugin.version}`);
    return map;
  }, [users.data, groups.data, accounts.data, plugins.data]);

  const base = useMemo(
    () =>
      query({
        action: applied.action.trim(),
        entityType: applied.entityType.trim(),
        entityId: applied.entityId.trim(),
        actorId: applied.actorId,
        from: dayStart(applied.from),
        to: dayStart(applied.to, 1),
        limit: PAGE_SIZE,
      }),
    [applied],
  );
  const [items, setItems] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error>();
  const [tick, setTick] = useState(0);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    setItems([]);
    setCursor(null);
    get<Page<AuditEvent>>(`/api/audit${base}`, controller.signal)
      .then((page) => {
        setItems(page.items);
        setCursor(page.nextCursor);
      })
      .catch((caught: Error) => caught.name !== 'AbortError' && setError(caught))
      .finally(() => !controller.signal.aborted && setLoading(false));
    return () => controller.abort();
  }, [base, tick]);

  const loadMore = useCallback(async () => {
    if (!cursor) return;
    setLoading(true);
    setError(undefined);
    try {
      const separator = base ? '&' : '?';
      const page = await get<Page<AuditEvent>>(`/api/audit${base}${separator}cursor=${encodeURIComponent(cursor)}`);
      setItems((previous) => [...previous, ...page.items]);
      setCursor(page.nextCursor);
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setLoading(false);
    }
  }, [base, cursor]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of FILTERS) if (draft[key].trim()) next.set(key, draft[key].trim());
    setParams(next);
  };
  const reset = () => setParams(new URLSearchParams());
  const set = (key: keyof Filters, value: string) => setDraft((previous) => ({ ...previous, [key]: value }));
  const actorName = (event: AuditEvent) => {
    if (event.actorType === 'user') {
      const user = users.data?.find((candidate) => candidate.id === event.actorId);
      return user ? user.email : event.actorId ? `user ${event.actorId.slice(0, 8)}` : 'user';
    }
    if (event.actorType === 'service') {
      const account = accounts.data?.find((candidate) => candidate.id === event.actorId);
      return `service account ${account ? account.name : (event.actorId?.slice(0, 8) ?? '')}`;
    }
    return event.actorType;
  };
  const entityName = (event: AuditEvent) => (event.entityId ? names.get(event.entityId)?.replace(/^(group|service account) /, '') : undefined);
  const toggle = (id: string) =>
    setExpanded((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div>
      <PageHeader title="Audit log">
        <button type="button" className="secondary" onClick={() => setTick((n) => n + 1)} disabled={loading}>
          Refresh
        </button>
      </PageHeader>
      <form className="card admin-filters" onSubmit={apply} aria-label="Audit filters">
        <label>
          Action
          <input list="audit-actions" value={draft.action} placeholder="user.updated" onChange={(event) => set('action', event.target.value)} />
          <datalist id="audit-actions">
            {KNOWN_ACTIONS.map((action) => (
              <option key={action} value={action} />
            ))}
          </datalist>
        </label>
        <label>
          Entity type
          <input list="audit-entity-types" value={draft.entityType} placeholder="user" onChange={(event) => set('entityType', event.target.value)} />
          <datalist id="audit-entity-types">
            {ENTITY_TYPES.map((type) => (
              <option key={type} value={type} />
            ))}
          </datalist>
        </label>
        <label>
          Entity id
          <input value={draft.entityId} placeholder="UUID" onChange={(event) => set('entityId', event.target.value)} />
        </label>
        <label>
          Actor
          <select value={draft.actorId} onChange={(event) => set('actorId', event.target.value)}>
            <option value="">Anyone</option>
            {(users.data ?? []).length > 0 && (
              <optgroup label="Users">
                {users.data!.map((user) => (
                  <option key={user.id} value={user.id}>
                    {user.email}
                  </option>
                ))}
              </optgroup>
            )}
            {(accounts.data ?? []).length > 0 && (
              <optgroup label="Service accounts">
                {accounts.data!.map((account) => (
                  <option key={account.id} value={account.id}>
                    {account.name}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </label>
        <label>
          From
          <input type="date" value={draft.from} max={draft.to || undefined} onChange={(event) => set('from', event.target.value)} />
        </label>
        <label>
          To (inclusive)
          <input type="date" value={draft.to} min={draft.from || undefined} onChange={(event) => set('to', event.target.value)} />
        </label>
        <div className="row">
          <button type="submit">Apply</button>
          <button type="button" className="secondary" onClick={reset}>
            Reset
          </button>
        </div>
      </form>
      {items.length === 0 && loading ? (
        <Spinner />
      ) : items.length === 0 && error ? (
        <ErrorBox error={error} onRetry={() => setTick((n) => n + 1)} />
      ) : items.length === 0 ? (
        <Empty>{params.toString() ? 'No event matches these filters.' : 'No event recorded yet.'}</Empty>
      ) : (
        <div className="stack">
          <table className="table">
            <thead>
              <tr>
                <th style={{ width: 28 }} aria-label="Details" />
                <th>Time</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Entity</th>
                <th>IP</th>
              </tr>
            </thead>
            <tbody>
              {items.map((event) => {
                const open = expanded.has(event.id);
                const label = entityName(event);
                return (
                  <Fragment key={event.id}>
                    <tr className={`clickable${open ? ' admin-expanded' : ''}`} onClick={() => toggle(event.id)} data-action={event.action}>
                      <td>
                        <button
                          type="button"
                          className="icon"
                          style={{ fontSize: 14 }}
                          aria-expanded={open}
                          aria-label={`${open ? 'Hide' : 'Show'} details of ${event.action}`}
                          onClick={(click) => {
                            click.stopPropagation();
                            toggle(event.id);
                          }}
                        >
                          {open ? '▾' : '▸'}
                        </button>
                      </td>
                      <td>{formatTime(event.at)}</td>
                      <td>{actorName(event)}</td>
                      <td>
                        <code>{event.action}</code>
                      </td>
                      <td>
                        {event.entityType}
                        {label ? <span className="muted"> {label}</span> : event.entityId ? <span className="muted mono"> {event.entityId.slice(0, 8)}</span> : null}
                      </td>
                      <td className="muted">{event.ip ?? '—'}</td>
                    </tr>
                    {open && (
                      <tr className="admin-expanded">
                        <td />
                        <td colSpan={5}>
                          <AuditDetail event={event} names={names} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
          <ErrorBox error={error} />
          <div className="row">
            <span className="muted">
              {items.length} event{items.length === 1 ? '' : 's'} shown
            </span>
            <span className="spacer" />
            {cursor ? (
              <button type="button" className="secondary" disabled={loading} onClick={() => void loadMore()}>
                {loading ? 'Loading…' : 'Load more'}
              </button>
            ) : (
              <span className="muted">End of the log</span>
            )}
          </div>
        </div>
      )}
    </div>
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Keys whose values differ between before and after (an absent side counts as a change). */
export function changedKeys(before: unknown, after: unknown): Set<string> {
  const changed = new Set<string>();
  if (!isRecord(before) && !isRecord(after)) return changed;
  const left = isRecord(before) ? before : {};
  const right = isRecord(after) ? after : {};
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    if (JSON.stringify(left[key]) !== JSON.stringify(right[key])) changed.add(key);
  }
  return changed;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function idsIn(value: unknown, found: Set<string>): Set<string> {
  if (typeof value === 'string' && UUID.test(value)) found.add(value);
  else if (Array.isArray(value)) for (const item of value) idsIn(item, found);
  else if (isRecord(value)) for (const item of Object.values(value)) idsIn(item, found);
  return found;
}

function AuditDetail({ event, names }: { event: AuditEvent; names: Map<string, string> }) {
  const changed = changedKeys(event.before, event.after);
  const known = [...idsIn([event.before, event.after], new Set())].filter((id) => names.has(id));
  const both = event.before !== null && event.after !== null;
  return (
    <div className="stack">
      <div className="admin-diff" aria-label="Before and after">
        {both && (
          <div className="changed-keys">
            {changed.size === 0 ? (
              <span className="muted">No field changed.</span>
            ) : (
              <span>
                Changed:{' '}
                {[...changed].map((key) => (
                  <code key={key} className="changed" style={{ marginRight: 6 }}>
                    {key}
                  </code>
                ))}
              </span>
            )}
          </div>
        )}
        <DiffSide title="Before" value={event.before} changed={both ? changed : new Set()} />
        <DiffSide title="After" value={event.after} changed={both ? changed : new Set()} />
      </div>
      <dl className="facts" style={{ margin: 0 }}>
        <dt>Entity id</dt>
        <dd className="mono">{event.entityId ?? '—'}</dd>
        <dt>Actor id</dt>
        <dd className="mono">{event.actorId ?? '—'}</dd>
        <dt>Request id</dt>
        <dd className="mono">{event.requestId ?? '—'}</dd>
        {known.length > 0 && (
          <>
            <dt>Ids above</dt>
            <dd className="admin-names">
              {known.map((id) => (
                <div key={id}>
                  <span className="mono muted">{id}</span> = {names.get(id)}
                </div>
              ))}
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}

function DiffSide({ title, value, changed }: { title: string; value: unknown; changed: Set<string> }) {
  return (
    <section aria-label={title}>
      <h4>{title}</h4>
      {value === null || value === undefined ? (
        <span className="muted">nothing</span>
      ) : isRecord(value) ? (
        <div className="json-tree">
          {Object.entries(value).map(([key, inner]) => (
            <div key={key} className={changed.has(key) ? 'changed' : undefined} data-changed={changed.has(key) || undefined}>
              <span className="key">{JSON.stringify(key)}</span>: <InlineValue value={inner} />
            </div>
          ))}
        </div>
      ) : (
        <JsonTree value={value} />
      )}
    </section>
  );
}

function InlineValue({ value }: { value: unknown }) {
  if (value !== null && typeof value === 'object') {
    return (
      <span style={{ display: 'inline-block', verticalAlign: 'top' }}>
        <JsonTree value={value} openDepth={1} />
      </span>
    );
  }
  const kind = value === null ? 'null' : typeof value;
  return <span className={kind}>{JSON.stringify(value)}</span>;
}
