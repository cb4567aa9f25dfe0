import type { AnyRoute } from './route.js';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } },
};

/** The OpenAPI 3.1 document, generated from the same route definitions that serve requests. */
export function buildOpenApi(routes: readonly AnyRoute[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/[:*](\w+)/g, '{$1}');
    const parameters = [...r.path.matchAll(/[:*](\w+)/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: r.freeParams?.includes(name!) ? { type: 'string' } : { type: 'string', format: 'uuid' },
    }));
    const query = r.query as { properties?: Record<string, unknown> } | undefined;
    for (const [name, schema] of Object.entries(query?.properties ?? {})) parameters.push({ name, in: 'query', required: false, schema: schema as never });
    const status = String(r.status ?? 200);
    const responses: Record<string, unknown> = {
      [status]: { description: status === '204' ? 'No content' : 'Success' },
      default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    };
    (paths[path] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      ...(r.access === 'public' ? { security: [] } : { 'x-piper-access': r.access }),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Piper API', version },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A user JWT from /api/auth/login or a service account token' } },
      schemas: { Error: errorSchema },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
