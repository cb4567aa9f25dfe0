import { defineNode } from '@piper/sdk';
import { authHeaders, forgetToken, type HttpAuth } from './http-auth.js';

export const httpNode = defineNode({
  type: 'core.http',
  version: '1.0.0',
  name: 'HTTP request',
  description: 'Sends an HTTP request; outputs { status, headers, body }',
  category: 'Network',
  args: {
    type: 'object',
    required: ['method', 'url'],
    properties: {
      method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'], default: 'GET' },
      url: { type: 'string', minLength: 1 },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      query: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
      body: {},
      failOnStatus: { type: 'boolean', default: true, title: 'Fail on a 4xx or 5xx answer' },
    },
  } as const,
  credential: { type: 'core.httpAuth', required: false },
  async handler(_input, args, ctx, credentials: HttpAuth | undefined) {
    const url = new URL(args.url);
    for (const [key, value] of Object.entries(args.query ?? {})) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { ...args.headers };
    let body: string | undefined;
    if (args.body !== undefined && args.method !== 'GET' && args.method !== 'HEAD') {
      body = typeof args.body === 'string' ? args.body : JSON.stringify(args.body);
      if (typeof args.body !== 'string' && !Object.keys(headers).some((key) => key.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    const send = async () => fetch(url, { method: args.method, headers: { ...headers, ...(await authHeaders(credentials, ctx.signal)) }, body, signal: ctx.signal });
    let response = await send();
    if (response.status === 401 && credentials?.kind === 'oauth2ClientCredentials') {
      // The cached token was revoked or rotated before its expiry: fetch a new one, once.
      await response.body?.cancel();
      forgetToken(credentials);
      response = await send();
    }
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep the text
      }
    }
    if (args.failOnStatus !== false && response.status >= 400) {
      throw new Error(`${args.method} ${url.origin}${url.pathname} answered ${response.status}`);
    }
    return { status: response.status, headers: Object.fromEntries(response.headers), body: parsed };
  },
});
