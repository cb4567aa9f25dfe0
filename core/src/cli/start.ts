import { loadConfig } from '../config/config.js';
import { createLogger, startServer } from '../server.js';

const config = loadConfig();
const logger = createLogger(config);

try {
  const server = await startServer(config, logger);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
} catch (error) {
  logger.fatal({ err: error }, (error as Error).message);
  process.exit(1);
}
