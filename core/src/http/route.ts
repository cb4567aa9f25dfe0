import type Koa from 'koa';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { AuthenticatedCaller, Caller, Role, UserCaller } from '../auth/caller.js';
import type { Services } from '../services.js';

/**
 * Who may reach a route at all. Services narrow it further (a manager sees only assigned
 * clients, another org's object is a 404), but a route without an access rule cannot exist.
 */
export type Access = 'public' | 'authenticated' | ReadonlyArray<Role | 'service' | 'instanceAdmin'>;

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

type Infer<S> = S extends JSONSchema ? FromSchema<S> : undefined;

/** The caller type a handler gets: user routes get a user, public routes maybe nobody. */
type CallerFor<A extends Access> = A extends 'public'
  ? Caller
  : A extends ReadonlyArray<infer R>
    ? 'service' extends R
      ? AuthenticatedCaller
      : UserCaller
    : AuthenticatedCaller;

type ParamNames<Path extends string> = Path extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : Path extends `${string}:${infer Name}`
    ? Name
    : Path extends `${string}/*${infer Name}`
      ? Name
      : never;

export interface RouteRequest<B, Q, P extends string, C extends Caller> {
  caller: C;
  body: B;
  query: Q;
  params: Record<P, string>;
  services: Services;
  koa: Koa.Context;
}

export interface RouteDefinition<Path extends string, A extends Access, BodySchema, QuerySchema> {
  method: Method;
  path: Path;
  summary: string;
  tag: string;
  access: A;
  body?: BodySchema;
  query?: QuerySchema;
  /** Largest accepted body in bytes (default: PIPER_BODY_LIMIT_BYTES). */
  bodyLimit?: number;
  /** Status of a successful answer (default 200). */
  status?: number;
  /** Path parameters that are not UUIDs (for example a version number or a slug). */
  freeParams?: readonly string[];
  handler(request: RouteRequest<Infer<BodySchema>, Infer<QuerySchema>, ParamNames<Path>, CallerFor<A>>): Promise<unknown>;
}

export type AnyRoute = Omit<RouteDefinition<string, Access, unknown, unknown>, 'handler'> & {
  handler(request: RouteRequest<unknown, unknown, string, Caller>): Promise<unknown>;
};

/** Declares a route, its handler's types inferred from its path, access rule and JSON Schemas. */
export function route<const Path extends string, const A extends Access, const BodySchema = undefined, const QuerySchema = undefined>(
  definition: RouteDefinition<Path, A, BodySchema, QuerySchema>,
): AnyRoute {
  return definition as unknown as AnyRoute;
}
