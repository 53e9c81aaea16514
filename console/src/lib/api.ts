// The HTTP layer of the console: one fetch wrapper that
//   - sends the session cookie (same origin) and asks for JSON,
//   - adds X-CSRF-Token to every mutating request (cookie sessions need it),
//   - turns every failure into an ApiError with a message a person can act on,
//   - reports a 401 (session ended) to one handler, which sends the user to login,
//   - answers a GET it answered less than `freshMs` ago from memory, and shares
//     one request between callers that ask for the same URL at once (any
//     mutation, sign-in or sign-out forgets what it remembered),
//   - keeps the request budget the server reports (RateLimit-* headers) for the
//     shell to show before it runs out.
import { RateBudget } from './rateBudget';
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
  /** GET only: false asks the server even when a fresh answer is remembered (and does not remember this one). */
  cache?: boolean;
  /** A POST that changes nothing (a price preview): what is remembered stays. */
  readOnly?: boolean;
}

/** A failed request: `message` is written for the person using the console. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  /** The server's own message (for details and logs). */
  readonly detail: string;
  readonly retryAfterSeconds: number | null;
  /** The request field the server's error is about ("email", "metadata[tier]", "Idempotency-Key"), or null. */
  readonly param: string | null;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    detail: string;
    requestId: string | null;
    retryAfterSeconds?: number | null;
    param?: string | null;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
    this.param = init.param ?? null;
  }

  /** The request reached a server that has no such route (e.g. an API not deployed yet). */
  get isNotFound(): boolean {
    return this.status === 404;
  }

  /** What an operator can do about it, when the server's answer says (e.g. the setting to add); else null. */
  get hint(): string | null {
    return operatorHint(this.code, this.detail);
  }
}

/** Codes of answers that stay the same however often they are asked again. */
const PERMANENT_CODES = new Set(['not_configured', 'feature_disabled', 'account_disabled', 'csrf_failed']);

/**
 * Whether asking again can give another answer: yes when the request never got
 * an answer, the server failed or was busy, or a limit resets; no when the
 * request itself was refused (4xx) or the server lacks a setting.
 * Errors that are not the API's (a bug in the console, a refused argument) are
 * not retried either, except plain Errors (their cause is unknown).
 */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return !(error instanceof RangeError || error instanceof TypeError);
  if (PERMANENT_CODES.has(error.code)) return false;
  if (error.status === 0 || error.status === 408 || error.status === 429) return true;
  if (error.status === 409) return error.code === 'in_progress';
  return error.status >= 500;
}

/** "STRIPE_SECRET_KEY" in "Stripe is not configured (STRIPE_SECRET_KEY)". */
function settingIn(message: string): string | null {
  return /\(([A-Z][A-Z0-9_]{2,})\)/.exec(message)?.[1] ?? null;
}

function operatorHint(code: string, serverMessage: string): string | null {
  if (code === 'not_configured') {
    const setting = settingIn(serverMessage);
    return setting
      ? `An operator sets ${setting} in billingd's environment and restarts it; trying again before that gives the same answer.`
      : "An operator has to configure this in billingd's settings; trying again before that gives the same answer.";
  }
  if (code === 'feature_disabled') return "An operator can turn it on in billingd's configuration.";
  return null;
}

/** status 0: the request never got an HTTP answer. */
export function isNetworkError(error: unknown): boolean {
  return error instanceof ApiError && error.status === 0;
}

// The message shown for a failed request. The server's own message is shown
// whenever it has one for a refused request (4xx) or a missing dependency or
// setting (503): it says what went wrong, where a generic sentence would not.
// Only internal errors (500), answers without a message, and a few codes with
// better words of our own get a sentence of the console's.
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
  const said = serverMessage.trim() ? sentence(serverMessage) : null;
  switch (status) {
    case 400:
    case 422:
      return said ?? 'The request was not valid.';
    case 401:
      return code === 'invalid_credentials'
        ? 'The email or password is not correct.'
        : 'Your session has ended. Please sign in again.';
    case 403:
      return said ? `You do not have access to this: ${lowerFirst(said)}` : 'You do not have access to this.';
    case 404:
      return said
        ? `This could not be found: ${lowerFirst(said)}`
        : 'This could not be found. It may have been removed, or the link is wrong.';
    case 409:
      return said ?? 'This conflicts with a change that is in progress.';
    case 413:
      return 'The request is too large.';
    case 429:
      if (code === 'too_many_attempts') {
        return `Too many failed sign-ins. Try again in ${formatWait(retryAfter != null && retryAfter > 0 ? retryAfter : 60)}.`;
      }
      return retryAfter != null && retryAfter > 0
        ? `This browser has used up its request budget for now. Try again in ${formatWait(retryAfter)}.`
        : 'This browser has used up its request budget for now. Wait a moment and try again.';
    case 500:
      return 'Meterline had a problem answering. Try again in a moment.';
    default:
      if (status === 503 && said) return said;
      if (status >= 500) return 'Meterline had a problem answering. Try again in a moment.';
      return said ?? `The request failed (HTTP ${status}).`;
  }
}

/** The server's message as a sentence: capital first letter, one full stop. */
function sentence(text: string): string {
  return capitalize(text) + '.';
}

function lowerFirst(text: string): string {
  // Keep acronyms and names ("Stripe", "API") as they are.
  return /^[A-Z][a-z]/.test(text) && !/^Stripe\b/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

function capitalize(text: string): string {
  const trimmed = text.trim().replace(/\.$/, '');
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}

export function formatWait(seconds: number): string {
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
  /** How long a GET's answer is reused, in milliseconds (0: never). */
  freshMs?: number;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

/** A GET answer is reused for this long: long enough for going back and forth between pages. */
export const DEFAULT_FRESH_MS = 30_000;

interface Remembered {
  at: number;
  value: unknown;
}

/** One GET in flight, shared by every caller that asks for its URL until it answers. */
interface InFlight {
  promise: Promise<unknown>;
  controller: AbortController;
  waiters: number;
}

export class ApiClient {
  private readonly fetchImpl: typeof fetch;
  private readonly csrfSource: () => string | null;
  private rememberedCsrf: string | null = null;
  private unauthorizedHandler: ((error: ApiError) => void) | null = null;
  private readonly freshMs: number;
  private readonly now: () => number;
  private readonly remembered = new Map<string, Remembered>();
  private readonly inFlight = new Map<string, InFlight>();
  /** Bumped by forget(): an answer to a request sent before it is not remembered. */
  private generation = 0;
  /** The request budget the server reported last (RateLimit-* headers). */
  readonly budget: RateBudget;

  constructor(options: ClientOptions = {}) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.csrfSource =
      options.csrfToken ?? (() => (typeof document === 'undefined' ? null : csrfFromCookie(document.cookie)));
    this.freshMs = options.freshMs ?? DEFAULT_FRESH_MS;
    this.now = options.now ?? (() => Date.now());
    this.budget = new RateBudget(this.now);
  }

  /** Forgets every remembered answer (after a change, and when the user changes). */
  forget(): void {
    this.generation += 1;
    this.remembered.clear();
  }

  /** Remembers `value` as the answer to GET `path` (e.g. the result a POST already returned). */
  remember(path: string, value: unknown, query?: Query): void {
    if (this.freshMs > 0) this.remembered.set(buildUrl(path, query), { at: this.now(), value });
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
    if (method !== 'GET' && options.readOnly !== true) {
      // A change may show on any page: nothing remembered stays (also when the change fails half-way).
      this.forget();
      try {
        return await this.fetchJson<T>(method, path, options);
      } finally {
        this.forget();
      }
    }
    if (method !== 'GET' || options.cache === false || this.freshMs <= 0)
      return this.fetchJson<T>(method, path, options);
    const key = buildUrl(path, options.query);
    const hit = this.remembered.get(key);
    if (hit && this.now() - hit.at < this.freshMs) return hit.value as T;
    if (hit) this.remembered.delete(key);
    let flight = this.inFlight.get(key);
    if (!flight) {
      const controller = new AbortController();
      const generation = this.generation;
      const promise = this.fetchJson<T>('GET', path, { ...options, signal: controller.signal }).then((value) => {
        if (generation === this.generation) this.remembered.set(key, { at: this.now(), value });
        return value;
      });
      const started: InFlight = { promise, controller, waiters: 0 };
      const done = () => {
        if (this.inFlight.get(key) === started) this.inFlight.delete(key);
      };
      promise.then(done, done);
      this.inFlight.set(key, started);
      flight = started;
    }
    return this.wait(key, flight, options.signal) as Promise<T>;
  }

  /** The shared request's answer for one caller; the request is cancelled when every caller has gone. */
  private wait(key: string, flight: InFlight, signal: AbortSignal | undefined): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(abortError());
    flight.waiters += 1;
    return new Promise((resolve, reject) => {
      let settled = false;
      const leave = () => {
        signal?.removeEventListener('abort', onAbort);
        flight.waiters -= 1;
      };
      const onAbort = () => {
        if (settled) return;
        settled = true;
        leave();
        if (flight.waiters === 0) {
          flight.controller.abort();
          if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
        }
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort);
      flight.promise.then(
        (value) => {
          if (settled) return;
          settled = true;
          leave();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          leave();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private async fetchJson<T>(method: Method, path: string, options: RequestOptions): Promise<T> {
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
    this.budget.update(response.headers);
    if (!response.ok) {
      const error = await errorFrom(response);
      if (error.status === 401 && !options.expectUnauthenticated) {
        this.forget();
        this.unauthorizedHandler?.(error);
      }
      throw error;
    }
    return response;
  }
}

function abortError(): DOMException {
  return new DOMException('The request was cancelled.', 'AbortError');
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let detail = response.statusText;
  let requestId = response.headers.get('X-Request-Id');
  let param: string | null = null;
  try {
    const parsed = (await response.json()) as Partial<ApiErrorBody>;
    if (parsed?.error) {
      code = parsed.error.code || code;
      detail = parsed.error.message || detail;
      requestId = parsed.error.request_id || requestId;
      param = parsed.error.param || null;
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
    param,
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
