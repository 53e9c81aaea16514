// The HTTP layer of the console: one fetch wrapper that
//   - sends the session cookie (same origin) and asks for JSON,
//   - adds X-CSRF-Token to every mutating request (cookie sessions need it),
//   - turns every failure into an ApiError with a message a person can act on,
//   - reports a 401 (session ended) to one handler, which sends the user to login.
import type { ApiErrorBody } from './types';

export const CSRF_HEADER = 'X-CSRF-Token';
export const CSRF_COOKIE = 'mtl_csrf';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** A 401 is an expected answer (login, the first "who am I"): do not report it as a lost session. */
  expectUnauthenticated?: boolean;
}

/** A failed request: `message` is written for the person using the console. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  /** The server's own message (for details and logs). */
  readonly detail: string;
  readonly retryAfterSeconds: number | null;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    detail: string;
    requestId: string | null;
    retryAfterSeconds?: number | null;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }

  /** The request reached a server that has no such route (e.g. an API not deployed yet). */
  get isNotFound(): boolean {
    return this.status === 404;
  }
}

/** status 0: the request never got an HTTP answer. */
export function isNetworkError(error: unknown): boolean {
  return error instanceof ApiError && error.status === 0;
}

// The message shown for a failed request. Server messages are precise but
// written for developers ("limit must be between 1 and 100"); validation
// messages are shown as they are, the rest in plain words.
export function friendlyMessage(
  status: number,
  code: string,
  serverMessage: string,
  retryAfter: number | null,
): string {
  if (status === 0) return 'Cannot reach Meterline. Check your connection and try again.';
  if (code === 'csrf_failed') return 'Your session could not be verified. Reload the page and try again.';
  if (code === 'feature_disabled') return 'This part of Meterline is turned off on this server.';
  if (code === 'account_disabled') return 'This account is disabled. Ask an administrator to enable it.';
  switch (status) {
    case 400:
    case 422:
      return serverMessage ? capitalize(serverMessage) + '.' : 'The request was not valid.';
    case 401:
      return code === 'invalid_credentials'
        ? 'The email or password is not correct.'
        : 'Your session has ended. Please sign in again.';
    case 403:
      return 'You do not have access to this.';
    case 404:
      return 'This could not be found. It may have been removed, or the link is wrong.';
    case 409:
      return serverMessage ? capitalize(serverMessage) + '.' : 'This conflicts with a change that is in progress.';
    case 413:
      return 'The request is too large.';
    case 429:
      if (code === 'too_many_attempts') {
        return `Too many failed sign-ins. Try again in ${formatWait(retryAfter != null && retryAfter > 0 ? retryAfter : 60)}.`;
      }
      return retryAfter != null && retryAfter > 0
        ? `Too many requests. Try again in ${formatWait(retryAfter)}.`
        : 'Too many requests. Wait a moment and try again.';
    default:
      if (status >= 500) return 'Meterline had a problem answering. Try again in a moment.';
      return serverMessage ? capitalize(serverMessage) + '.' : `The request failed (HTTP ${status}).`;
  }
}

function capitalize(text: string): string {
  const trimmed = text.trim().replace(/\.$/, '');
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/** Reads the CSRF cookie that billingd sets at login (readable by design: double submit). */
export function csrfFromCookie(cookieHeader: string): string | null {
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === CSRF_COOKIE) {
      const value = decodeURIComponent(part.slice(eq + 1).trim());
      return value === '' ? null : value;
    }
  }
  return null;
}

export function buildUrl(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export interface ClientOptions {
  fetch?: typeof fetch;
  /** The CSRF token to echo on mutations; by default the mtl_csrf cookie. */
  csrfToken?: () => string | null;
}

export class ApiClient {
  private readonly fetchImpl: typeof fetch;
  private readonly csrfSource: () => string | null;
  private rememberedCsrf: string | null = null;
  private unauthorizedHandler: ((error: ApiError) => void) | null = null;

  constructor(options: ClientOptions = {}) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.csrfSource =
      options.csrfToken ?? (() => (typeof document === 'undefined' ? null : csrfFromCookie(document.cookie)));
  }

  /** Called with the error whenever a request answers 401 unexpectedly (the session is gone). */
  onUnauthorized(handler: ((error: ApiError) => void) | null): void {
    this.unauthorizedHandler = handler;
  }

  /** The token from the login or "me" response; used when the cookie cannot be read. */
  rememberCsrfToken(token: string | null | undefined): void {
    this.rememberedCsrf = token ?? null;
  }

  csrfToken(): string | null {
    return this.csrfSource() ?? this.rememberedCsrf;
  }

  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options, 'application/json');
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError({
        status: response.status,
        code: 'invalid_response',
        message: 'Meterline sent an answer the console could not read. Try again in a moment.',
        detail: 'response body is not JSON',
        requestId: response.headers.get('X-Request-Id'),
      });
    }
  }

  /** A binary download (e.g. an invoice PDF): the bytes and the file name the server suggests. */
  async download(
    path: string,
    options: RequestOptions = {},
  ): Promise<{ blob: Blob; filename: string | null; contentType: string }> {
    const response = await this.send('GET', path, options, '*/*');
    const blob = await response.blob();
    return {
      blob,
      filename: filenameFromDisposition(response.headers.get('Content-Disposition')),
      contentType: response.headers.get('Content-Type') ?? blob.type,
    };
  }

  private async send(method: Method, path: string, options: RequestOptions, accept: string): Promise<Response> {
    const headers: Record<string, string> = { Accept: accept, ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    if (method !== 'GET') {
      const token = this.csrfToken();
      if (token) headers[CSRF_HEADER] = token;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(buildUrl(path, options.query), {
        method,
        headers,
        body,
        credentials: 'same-origin',
        signal: options.signal,
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError({
        status: 0,
        code: 'network_error',
        message: friendlyMessage(0, 'network_error', '', null),
        detail: cause instanceof Error ? cause.message : String(cause),
        requestId: null,
      });
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (error.status === 401 && !options.expectUnauthenticated) this.unauthorizedHandler?.(error);
      throw error;
    }
    return response;
  }
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let detail = response.statusText;
  let requestId = response.headers.get('X-Request-Id');
  try {
    const parsed = (await response.json()) as Partial<ApiErrorBody>;
    if (parsed?.error) {
      code = parsed.error.code || code;
      detail = parsed.error.message || detail;
      requestId = parsed.error.request_id || requestId;
    }
  } catch {
    // Not our error shape (a proxy's page, an empty body): keep the status.
  }
  const retryHeader = response.headers.get('Retry-After');
  const retryAfter = retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  return new ApiError({
    status: response.status,
    code,
    message: friendlyMessage(response.status, code, detail, retryAfter),
    detail,
    requestId,
    retryAfterSeconds: retryAfter,
  });
}

/** The file name in a Content-Disposition header ("attachment; filename=\"INV-2025-000001.pdf\""). */
export function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null;
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(header);
  if (star?.[1]) return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''));
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(header);
  if (!plain) return null;
  return (plain[2] ?? plain[1] ?? '').trim() || null;
}
