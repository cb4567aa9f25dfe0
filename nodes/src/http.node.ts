import { defineNode } from '@piper/sdk';

export interface HttpAuth {
  kind: 'bearer' | 'basic' | 'header' | 'oauth2ClientCredentials';
  token?: string;
  username?: string;
  password?: string;
  headerName?: string;
  headerValue?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  scope?: string;
}

async function clientCredentialsToken(auth: HttpAuth, signal: AbortSignal): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (auth.scope) form.set('scope', auth.scope);
  const response = await fetch(auth.tokenUrl!, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(auth.clientId!)}:${encodeURIComponent(auth.clientSecret!)}`).toString('base64')}`,
    },
    body: form,
    signal,
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`The token endpoint answered ${response.status} without an access_token`);
  return body.access_token;
}

async function authHeaders(auth: HttpAuth | undefined, signal: AbortSignal): Promise<Record<string, string>> {
  switch (auth?.kind) {
    case undefined:
      return {};
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
    case 'header':
      return { [auth.headerName!]: auth.headerValue! };
    case 'oauth2ClientCredentials':
      return { authorization: `Bearer ${await clientCredentialsToken(auth, signal)}` };
  }
}

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
    const headers: Record<string, string> = { ...args.headers, ...(await authHeaders(credentials, ctx.signal)) };
    let body: string | undefined;
    if (args.body !== undefined && args.method !== 'GET' && args.method !== 'HEAD') {
      body = typeof args.body === 'string' ? args.body : JSON.stringify(args.body);
      if (typeof args.body !== 'string' && !Object.keys(headers).some((key) => key.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    const response = await fetch(url, { method: args.method, headers, body, signal: ctx.signal });
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
