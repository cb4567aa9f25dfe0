import { createHash } from 'node:crypto';

/** What a `core.httpAuth` credential holds once decrypted. */
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
  audience?: string;
  /** How the client authenticates at the token endpoint (RFC 6749 §2.3.1): HTTP Basic, or in the form body. */
  clientAuthentication?: 'basic' | 'body';
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
  /** Shortly before it expires, so that it does not lapse during the request. */
  renewAt: number;
}

const EXPIRY_MARGIN_MS = 30_000;
/** A token endpoint that gives no `expires_in` is asked again after this long. */
const DEFAULT_LIFETIME_MS = 60_000;
const MAX_CACHED_TOKENS = 500;
const TOKEN_TIMEOUT_MS = 15_000;

const tokens = new Map<string, Promise<CachedToken>>();

function cacheKey(auth: HttpAuth): string {
  return createHash('sha256')
    .update(JSON.stringify([auth.tokenUrl, auth.clientId, auth.clientSecret, auth.scope ?? '', auth.audience ?? '', auth.clientAuthentication ?? 'basic']))
    .digest('hex');
}

/** The endpoint's OAuth error (`error`, `error_description`) when it gave one, else the start of its body. */
function tokenError(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (typeof body.error === 'string') return `${status}: ${body.error}${typeof body.error_description === 'string' ? ` (${body.error_description})` : ''}`;
  } catch {
    // not JSON
  }
  return `${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

/** Fetches a token with the client credentials grant (RFC 6749 §4.4). */
export async function requestToken(auth: HttpAuth, signal: AbortSignal): Promise<CachedToken> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (auth.scope) form.set('scope', auth.scope);
  if (auth.audience) form.set('audience', auth.audience);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (auth.clientAuthentication === 'body') {
    form.set('client_id', auth.clientId!);
    form.set('client_secret', auth.clientSecret!);
  } else {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(auth.clientId!)}:${encodeURIComponent(auth.clientSecret!)}`).toString('base64')}`;
  }
  const where = (() => {
    try {
      const url = new URL(auth.tokenUrl!);
      return `${url.origin}${url.pathname}`;
    } catch {
      throw new Error('The credential\'s tokenUrl is not a URL');
    }
  })();
  let response: Response;
  try {
    response = await fetch(auth.tokenUrl!, { method: 'POST', headers, body: form, signal: AbortSignal.any([signal, AbortSignal.timeout(TOKEN_TIMEOUT_MS)]) });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new Error(`Could not reach the token endpoint ${where}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`The token endpoint ${where} answered ${tokenError(response.status, text)}`);
  let body: { access_token?: unknown; expires_in?: unknown; token_type?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`The token endpoint ${where} answered ${response.status} without JSON`);
  }
  if (typeof body.access_token !== 'string' || !body.access_token) throw new Error(`The token endpoint ${where} answered ${response.status} without an access_token`);
  if (typeof body.token_type === 'string' && body.token_type.toLowerCase() !== 'bearer') throw new Error(`The token endpoint ${where} gave a "${body.token_type}" token; only bearer tokens are supported`);
  const seconds = Number(body.expires_in);
  const lifetime = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_LIFETIME_MS;
  const now = Date.now();
  return { accessToken: body.access_token, expiresAt: now + lifetime, renewAt: now + Math.max(lifetime - EXPIRY_MARGIN_MS, lifetime / 2) };
}

/**
 * A bearer token for the credential, from this worker's cache until shortly before it expires.
 * Concurrent requests of one credential share one fetch; a failed fetch is not cached.
 */
export async function clientCredentialsToken(auth: HttpAuth, signal: AbortSignal): Promise<string> {
  const key = cacheKey(auth);
  const cached = tokens.get(key);
  if (cached) {
    const token = await cached.catch(() => undefined);
    if (token && token.renewAt > Date.now()) return token.accessToken;
    if (tokens.get(key) === cached) tokens.delete(key);
  }
  if (tokens.size >= MAX_CACHED_TOKENS) tokens.delete(tokens.keys().next().value!);
  const fetching = requestToken(auth, signal);
  tokens.set(key, fetching);
  try {
    return (await fetching).accessToken;
  } catch (error) {
    if (tokens.get(key) === fetching) tokens.delete(key);
    throw error;
  }
}

/** Forgets the credential's cached token: the server refused it before it expired (revoked, rotated). */
export function forgetToken(auth: HttpAuth): void {
  tokens.delete(cacheKey(auth));
}

export async function authHeaders(auth: HttpAuth | undefined, signal: AbortSignal): Promise<Record<string, string>> {
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
