import type { Knex } from 'knex';

export const RUN_TASK = 'piper.run';

/**
 * Queues the execution of a run in graphile-worker, inside the caller's transaction: the job
 * exists exactly when the run row does. The job key makes requeueing a run idempotent.
 */
export async function enqueueRun(trx: Knex | Knex.Transaction, runId: string, runAt?: Date): Promise<void> {
  await trx.raw(`select graphile_worker.add_job(?, json_build_object('runId', ?::text), run_at => ?::timestamptz, max_attempts => 10, job_key => ?)`, [
    RUN_TASK,
    runId,
    runAt ?? null,
    `run:${runId}`,
  ]);
}
