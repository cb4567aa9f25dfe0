import type { Knex } from 'knex';
import type { Caller } from '../auth/caller.js';
import type { Database } from '../db/database.js';
import { badRequest } from '../http/errors.js';
import { decodeCursor, encodeCursor } from '../http/pagination.js';

const SECRET_KEY = /pass(word)?|secret|token|hash|api[-_]?key|private[-_]?key|ciphertext|wrapped|auth[-_]?tag|^iv$|credential(s)?data/i;
const REDACTED = '[redacted]';

/** Copies a value for the audit log with every secret-looking field replaced. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) ? REDACTED : redactSecrets(inner);
    }
    return out;
  }
  return value;
}

export interface AuditEntry {
  orgId: string | null;
  action: string;
  entityType: string;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
  /** Overrides the caller as actor, for example the user of a login attempt. */
  actor?: { type: 'user' | 'service' | 'system' | 'anonymous'; id: string | null };
}

export interface AuditQuery {
  action?: string;
  entityType?: string;
  entityId?: string;
  actorId?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export class AuditService {
  constructor(private readonly db: Database) {}

  /** The row of an event, secrets removed (for callers that insert it within a larger statement). */
  row(caller: Caller, entry: AuditEntry) {
    const principal = caller.principal;
    const actor =
      entry.actor ??
      (principal?.kind === 'user'
        ? { type: 'user' as const, id: principal.userId }
        : principal?.kind === 'service'
          ? { type: 'service' as const, id: principal.serviceAccountId }
          : { type: 'anonymous' as const, id: null });
    return {
      orgId: entry.orgId,
      actorType: actor.type,
      actorId: actor.id,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId ?? null,
      before: entry.before === undefined ? null : JSON.stringify(redactSecrets(entry.before)),
      after: entry.after === undefined ? null : JSON.stringify(redactSecrets(entry.after)),
      ip: caller.ip,
      requestId: caller.requestId,
    };
  }

  /** Records an event, in the caller's transaction so it commits or rolls back with the change. */
  async record(trx: Knex | Knex.Transaction, caller: Caller, entry: AuditEntry): Promise<void> {
    await trx('audit_events').insert(this.row(caller, entry));
  }

  async list(orgId: string, query: AuditQuery) {
    const limit = query.limit ?? 50;
    const q = this.db('audit_events').where({ orgId }).orderBy('seq', 'desc').limit(limit + 1);
    if (query.action) q.andWhere('action', query.action);
    if (query.entityType) q.andWhere('entityType', query.entityType);
    if (query.entityId) q.andWhere('entityId', query.entityId);
    if (query.actorId) q.andWhere('actorId', query.actorId);
    if (query.from) q.andWhere('createdAt', '>=', parseTime(query.from, 'from'));
    if (query.to) q.andWhere('createdAt', '<', parseTime(query.to, 'to'));
    if (query.cursor) q.andWhere('seq', '<', cursorSeq(query.cursor));
    const rows: Array<Record<string, unknown> & { id: string; seq: number }> = await q;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({
        id: row.id,
        at: row.createdAt,
        actorType: row.actorType,
        actorId: row.actorId,
        action: row.action,
        entityType: row.entityType,
        entityId: row.entityId,
        before: row.before,
        after: row.after,
        ip: row.ip,
        requestId: row.requestId,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor(String(last.seq)) : null,
    };
  }
}

function cursorSeq(cursor: string): number {
  const [seq] = decodeCursor(cursor);
  const value = Number(seq);
  if (!Number.isSafeInteger(value)) throw badRequest('Invalid cursor', { cursor });
  return value;
}

function parseTime(value: string, name: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badRequest(`"${name}" must be an ISO 8601 time`, { [name]: value });
  return date;
}
