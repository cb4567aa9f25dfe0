import { route } from '../http/route.js';

const tag = 'Operations';

export const healthRoutes = [
  route({
    method: 'get',
    path: '/health',
    summary: 'Liveness and database reachability',
    tag,
    access: 'public',
    handler: async ({ services, koa }) => {
      const started = Date.now();
      try {
        await services.db.raw('select 1');
      } catch {
        koa.status = 503;
        return { status: 'unavailable', database: 'unreachable' };
      }
      return { status: 'ok', database: 'ok', databaseLatencyMs: Date.now() - started, uptimeSeconds: Math.round(process.uptime()) };
    },
  }),
  route({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tag,
    access: 'public',
    handler: async ({ services, koa }) => {
      koa.type = services.metrics.contentType;
      return services.metrics.metrics();
    },
  }),
  route({
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document',
    tag,
    access: 'public',
    handler: async ({ services }) => services.openapi(),
  }),
];
