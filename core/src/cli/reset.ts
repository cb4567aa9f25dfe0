import { loadConfig } from '../config/config.js';
import { resetToDemo } from '../seed/demo.js';
import { createLogger, openDatabase } from '../server.js';

/** `npm run reset`: purge every tenant's data, end every session, seed the demo again. */
const config = loadConfig();
const logger = createLogger(config);
const database = await openDatabase(config, logger);
try {
  await resetToDemo(database.db);
  logger.info('all data purged and the demo seeded again; every session has ended');
} finally {
  await database.close();
}
