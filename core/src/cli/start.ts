import { loadConfig } from '../config/config.js';
import { serve } from './serve.js';

/** `npm start`: API, worker and (on the embedded default) PostgreSQL in one process; PIPER_ROLE narrows it. */
await serve(loadConfig());
