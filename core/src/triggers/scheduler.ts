import type { Json } from '@piper/sdk';
import type { Cron } from 'croner';
import type { Logger } from 'pino';
import type { Caller } from '../auth/caller.js';
import type { Database } from '../db/database.js';
import type { Graph } from '../pipelines/graph.js';
import type { RunsService } from '../runs/runs.service.js';
import { MAX_CATCH_UP, nextFire, parseCron } from './sync.js';

const TICK_MS = 250;
const BATCH = 100;
/** Deliveries are remembered this long for `webhook-id` idempotency. */
const DELIVERY_RETENTION_DAYS = 7;

interface ScheduleRow {
  pipelineId: string;
  nodeId: string;
  orgId: string;
  version: number;
  cron: string;
  timezone: string;
  catchUp: boolean;
  nextFireAt: Date;
}

const SYSTEM: Caller = { principal: null, ip: '', requestId: 'scheduler' };

/**
 * Fires due schedules. Every instance with a worker runs one; a due schedule is claimed with
 * `FOR UPDATE SKIP LOCKED`, and its run is inserted and its next fire time advanced in that
 * same transaction, so each tick fires exactly once across instances. After downtime the
 * missed ticks fire one run (for the first of them), unless the schedule catches up: then
 * each missed tick fires, at most MAX_CATCH_UP.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking: Promise<void> | undefined;
  private lastCleanup = 0;

  constructor(
    private readonly db: Database,
    private readonly runs: RunsService,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.ticking = this.tick()
        .then(
          () => undefined,
          (error) => this.logger.warn({ err: error }, 'scheduler tick failed'),
        )
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, TICK_MS);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
  }

  /** Fires what is due now; returns the number of runs started. */
  async tick(): Promise<number> {
    let started = 0;
    await this.db.transaction(async (trx) => {
      const due: ScheduleRow[] = await trx('schedules').where('nextFireAt', '<=', trx.fn.now()).orderBy('nextFireAt').forUpdate().skipLocked().limit(BATCH);
      for (const schedule of due) {
        const cron = parseCron(schedule.cron, schedule.timezone) as Cron;
        const pipeline = await trx('pipelines').where({ id: schedule.pipelineId }).first('clientId');
        const { graph } = await trx('pipelineVersions').where({ pipelineId: schedule.pipelineId, version: schedule.version }).first('graph');
        const now = new Date();
        const ticks = [schedule.nextFireAt];
        if (schedule.catchUp) {
          for (let next = nextFire(cron, schedule.nextFireAt); next <= now && ticks.length < MAX_CATCH_UP; next = nextFire(cron, next)) ticks.push(next);
        }
        for (const firedAt of ticks) {
          const input: Json = { firedAt: firedAt.toISOString() };
          await this.runs.insertRun(
            SYSTEM,
            { orgId: schedule.orgId, pipelineId: schedule.pipelineId, version: schedule.version, mode: 'production', trigger: 'schedule', graph: graph as Graph, input, clientId: pipeline?.clientId ?? null },
            [],
            trx,
          );
          started++;
        }
        const last = ticks[ticks.length - 1]!;
        await trx('schedules')
          .where({ pipelineId: schedule.pipelineId, nodeId: schedule.nodeId })
          .update({ lastFiredAt: last, nextFireAt: nextFire(cron, last > now ? last : now) });
      }
    });
    if (Date.now() - this.lastCleanup > 3_600_000) {
      this.lastCleanup = Date.now();
      await this.db('webhookDeliveries').where('createdAt', '<', this.db.raw(`now() - interval '${DELIVERY_RETENTION_DAYS} days'`)).delete();
    }
    return started;
  }

  /** The schedules of a pipeline with their next fire times. */
  static async of(db: Database, pipelineId: string) {
    return db('schedules').where({ pipelineId }).orderBy('nodeId').select('nodeId', 'cron', 'timezone', 'catchUp', 'nextFireAt', 'lastFiredAt', 'version');
  }
}
