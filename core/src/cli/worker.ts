import { loadConfig } from '../config/config.js';
import { serve } from './serve.js';

/** `npm run worker`: a process that only executes runs. */
await serve({ ...loadConfig(), role: 'worker' });
