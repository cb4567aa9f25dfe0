/**
 * The HTTP client of the UI: JSON in and out, the session's bearer token, and the API's error
 * shape `{ error: { code, message, details } }` turned into an ApiError.
 */

const TOKEN_KEY = 'piper.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Listener = (token: string | null) => void;
const listeners = new Set<Listener>();

export const session = {
  get token(): string | null {
    return localStorage.getItem(TOKEN_KEY);
  },
  set(token: string | null) {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
    for (const listener of listeners) listener(token);
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export interface RequestOptions {
  body?: unknown;
  /** A multipart body (plugin uploads); sent as is. */
  form?: FormData;
  signal?: AbortSignal;
}

export async function api<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {};
  const token = session.token;
  if (token) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body, signal: options.signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.');
  }
  if (response.status === 401 && token && !path.startsWith('/api/auth/login')) {
    // The session ended (logout elsewhere, password change, expiry): back to the login page.
    session.set(null);
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  const payload = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const error = (payload as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? `${response.status} ${response.statusText}`, error?.details);
  }
  return payload as T;
}

/** GETs started ahead of the page that needs them (see `prefetch`), taken once by `get`. */
const prefetched = new Map<string, { at: number; response: Promise<unknown> }>();
const PREFETCH_FRESH_MS = 10_000;

/**
 * Starts a GET now for a page that is still loading its code, so that the data and the code
 * arrive together; the page's own `get` of the same path takes the answer instead of asking again.
 */
export function prefetch(path: string): void {
  if (!session.token || prefetched.has(path)) return;
  const response = api('GET', path);
  response.catch(() => prefetched.delete(path));
  prefetched.set(path, { at: Date.now(), response });
}

export function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const early = prefetched.get(path);
  if (early) {
    prefetched.delete(path);
    if (Date.now() - early.at < PREFETCH_FRESH_MS) return early.response as Promise<T>;
  }
  return api<T>('GET', path, { signal });
}
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, { body: body ?? {} });
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, { body });
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, { body });

/** A query string from the defined values of `params`. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** A file the API serves behind the bearer token (artifacts), downloaded through a blob. */
export async function download(path: string, filename: string): Promise<void> {
  const response = await fetch(path, { headers: session.token ? { authorization: `Bearer ${session.token}` } : {} });
  if (!response.ok) throw new ApiError(response.status, 'download_failed', `The file could not be downloaded (${response.status})`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** An object URL of a file behind the bearer token (images shown inline). */
export async function blobUrl(path: string): Promise<string> {
  const response = await fetch(path, { headers: session.token ? { authorization: `Bearer ${session.token}` } : {} });
  if (!response.ok) throw new ApiError(response.status, 'download_failed', `The file could not be loaded (${response.status})`);
  return URL.createObjectURL(await response.blob());
}
