import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import type { Caller } from '../auth/caller.js';
import type { Services } from '../services.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Live run status over Socket.IO. A socket authenticates with `auth: { token }` when it
 * connects and may only `subscribe` to runs its caller may read. Events come from the event
 * bus (PostgreSQL LISTEN/NOTIFY), which every API instance hears.
 */
export function attachSocketServer(httpServer: HttpServer, services: Services, logger: Logger): Server {
  const io = new Server(httpServer, { path: '/socket.io', serveClient: false, cors: { origin: false } });
  io.use(async (socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown })?.token;
    if (typeof token !== 'string' || token === '') return next(new Error('unauthorized'));
    try {
      const principal = await services.auth.authenticate(token);
      socket.data.caller = { principal, ip: socket.handshake.address, requestId: `socket:${socket.id}` } satisfies Caller;
      next();
    } catch {
      next(new Error('unauthorized'));
    }
  });
  io.on('connection', (socket) => {
    const subscriptions = new Map<string, () => void>();
    socket.on('subscribe', async (message: unknown, ack?: (answer: unknown) => void) => {
      const runId = (message as { runId?: unknown })?.runId;
      const reply = typeof ack === 'function' ? ack : () => undefined;
      if (typeof runId !== 'string' || !UUID.test(runId)) return reply({ ok: false, error: 'runId must be a run id' });
      try {
        const run = await services.runs.find(socket.data.caller, runId, ['id', 'status']);
        if (!subscriptions.has(runId)) {
          subscriptions.set(
            runId,
            services.events.subscribe(runId, (event) => {
              if (event.type !== 'cancel') socket.emit(event.type, event);
            }),
          );
        }
        reply({ ok: true, run });
      } catch {
        reply({ ok: false, error: 'Run not found' });
      }
    });
    socket.on('unsubscribe', (message: unknown) => {
      const runId = (message as { runId?: unknown })?.runId;
      if (typeof runId !== 'string') return;
      subscriptions.get(runId)?.();
      subscriptions.delete(runId);
    });
    socket.on('disconnect', () => {
      for (const unsubscribe of subscriptions.values()) unsubscribe();
      subscriptions.clear();
    });
  });
  logger.debug('socket.io attached');
  return io;
}
