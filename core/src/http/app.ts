import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import Koa from 'koa';
import type { Logger } from 'pino';
import { Histogram } from 'prom-client';
import type { Caller, Principal } from '../auth/caller.js';
import type { Services } from '../services.js';
import { readJsonBody } from './body.js';
import { forbidden, HttpError, invalid, notFound, unauthorized } from './errors.js';
import type { AnyRoute } from './route.js';
import { staticUi } from './static-ui.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

function compile(ajv: Ajv, schema: unknown): ValidateFunction | undefined {
  return schema === undefined ? undefined : ajv.compile(schema as object);
}

function validationDetails(where: 'body' | 'query', errors: ErrorObject[] | null | undefined) {
  return (errors ?? []).map((error) => ({
    in: where,
    path: error.instancePath || '/',
    message: error.message ?? 'is invalid',
    ...(error.keyword === 'required' ? { missing: (error.params as { missingProperty: string }).missingProperty } : {}),
  }));
}

/** True when the principal passes a route's access rule. */
export function allows(access: AnyRoute['access'], principal: Principal): boolean {
  if (access === 'public' || access === 'authenticated') return true;
  if (principal.kind === 'service') return access.includes('service');
  return access.includes(principal.role) || (principal.instanceAdmin && access.includes('instanceAdmin'));
}

export interface AppOptions {
  services: Services;
  routes: readonly AnyRoute[];
  logger: Logger;
}

export function createApp({ services, routes, logger }: AppOptions): { app: Koa; router: Router } {
  const app = new Koa({ proxy: services.config.trustProxy });
  // Errors after the response started (a stream cut short): a client that went away is routine.
  app.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ERR_STREAM_PREMATURE_CLOSE' || error.code === 'ECONNRESET' || error.code === 'EPIPE') logger.debug({ err: error }, 'client closed the connection');
    else logger.error({ err: error }, 'response failed');
  });
  const router = new Router();
  const bodyAjv = new Ajv({ allErrors: true, removeAdditional: true, useDefaults: true, strict: false });
  const queryAjv = new Ajv({ allErrors: true, removeAdditional: true, coerceTypes: true, strict: false });
  addFormats.default(bodyAjv);
  addFormats.default(queryAjv);
  const duration = new Histogram({
    name: 'piper_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [services.metrics],
  });

  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw notFound('Route');
    } catch (error) {
      const httpError = toHttpError(error);
      if (httpError.status >= 500) logger.error({ err: error, requestId }, 'request failed');
      ctx.status = httpError.status;
      if (httpError.status === 429) ctx.set('Retry-After', String((httpError.details as { retryAfterSeconds?: number })?.retryAfterSeconds ?? 60));
      ctx.body = { error: { code: httpError.code, message: httpError.message, ...(httpError.details === undefined ? {} : { details: httpError.details }), requestId } };
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const routePath = (ctx.state.routePath as string | undefined) ?? 'unmatched';
      duration.observe({ method: ctx.method, route: routePath, status: String(ctx.status) }, seconds);
      logger.info({ requestId, method: ctx.method, route: routePath, url: ctx.url, status: ctx.status, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    }
  });

  app.use(staticUi(services.config.uiDir));

  for (const definition of routes) {
    const validateBody = compile(bodyAjv, definition.body);
    const validateQuery = compile(queryAjv, definition.query);
    const uuidParams = [...definition.path.matchAll(/:(\w+)/g)].map(([, name]) => name!).filter((name) => !definition.freeParams?.includes(name));
    router[definition.method](definition.path, async (ctx) => {
      ctx.state.routePath = definition.path;
      const caller: Caller = { principal: null, ip: ctx.ip, requestId: ctx.state.requestId as string };
      if (definition.access !== 'public') {
        caller.principal = await authenticate(services, ctx.get('authorization'));
        if (!allows(definition.access, caller.principal)) throw forbidden();
      }
      for (const name of uuidParams) if (!UUID.test(ctx.params[name] ?? '')) throw notFound();
      let body: unknown;
      if (validateBody) {
        body = await readJsonBody(ctx, definition.bodyLimit ?? services.config.bodyLimitBytes);
        if (body === undefined) throw invalid([{ in: 'body', path: '/', message: 'a JSON body is required' }]);
        if (!validateBody(body)) throw invalid(validationDetails('body', validateBody.errors));
      } else {
        body = undefined;
      }
      const query: Record<string, unknown> = { ...ctx.query };
      if (validateQuery && !validateQuery(query)) throw invalid(validationDetails('query', validateQuery.errors));
      const result = await definition.handler({ caller, body, query, params: ctx.params, services, koa: ctx });
      if (ctx.status === 404 || ctx.status === 200) ctx.status = definition.status ?? 200;
      if (result !== undefined && ctx.status !== 204) ctx.body = result;
    });
  }
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true, methodNotAllowed: () => new HttpError(405, 'method_not_allowed', 'Method not allowed') }));
  return { app, router };
}

async function authenticate(services: Services, header: string): Promise<Principal> {
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw unauthorized();
  return services.auth.authenticate(match[1]!);
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const status = (error as { status?: number; expose?: boolean }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpError(status, 'bad_request', (error as Error).message);
  }
  const pgCode = (error as { code?: string }).code;
  // Values PostgreSQL rejects (a number out of range, a string with a NUL byte) are bad input, not a server fault.
  if (pgCode === '22P02' || pgCode === '22003' || pgCode === '22021' || pgCode === '22007' || pgCode === '22008') {
    return new HttpError(400, 'bad_request', 'A value in the request is not acceptable', { database: (error as Error).message });
  }
  return new HttpError(500, 'internal', 'Internal server error');
}
