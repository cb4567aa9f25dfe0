import type { Database } from '../db/database.js';

/**
 * Fixed-window counters kept in PostgreSQL, so that every API instance sees the same counts.
 */
export class RateLimiter {
  constructor(private readonly db: Database) {}

  /** Seconds until the key may try again, or 0 when it is under its limit. */
  async blockedFor(key: string, limit: number, windowSeconds: number): Promise<number> {
    const row = await this.db('rate_limits').where({ key }).first();
    if (!row) return 0;
    const elapsed = (Date.now() - new Date(row.windowStart).getTime()) / 1000;
    if (elapsed >= windowSeconds || row.count < limit) return 0;
    return Math.max(1, Math.ceil(windowSeconds - elapsed));
  }

  async hit(key: string, windowSeconds: number): Promise<void> {
    await this.db.raw(
      `insert into rate_limits (key, window_start, count) values (?, now(), 1)
       on conflict (key) do update set
         count = case when rate_limits.window_start < now() - make_interval(secs => ?) then 1 else rate_limits.count + 1 end,
         window_start = case when rate_limits.window_start < now() - make_interval(secs => ?) then now() else rate_limits.window_start end`,
      [key, windowSeconds, windowSeconds],
    );
  }

  async clear(key: string): Promise<void> {
    await this.db('rate_limits').where({ key }).delete();
  }
}
