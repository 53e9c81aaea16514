// The logic of the admin pages' forms and lists, apart from React: the
// customer dialogs' request bodies (a PATCH sends only what changed), metadata
// rows, the server's `param` put back on the field it names, the
// Idempotency-Key a retry reuses, and the lists' state in the URL.
import { ApiError } from './api';
import type { Customer, CustomerUpdate, Metadata, NewCustomer, StripeWebhookStatus } from './types';

// ---------------------------------------------------------------------------
// Customers

/** One key-value row of the metadata editor; `id` keeps React's rows apart while keys are typed. */
export interface MetadataRow {
  id: number;
  key: string;
  value: string;
}

export interface CustomerDraft {
  name: string;
  email: string;
  country: string;
  /** Only on creation: the currency cannot change. */
  currency: string;
  externalId: string;
  metadata: MetadataRow[];
}

/** Stripe's limits, as billingd checks them. */
export const METADATA_MAX_KEYS = 50;
export const METADATA_KEY_MAX = 40;
export const METADATA_VALUE_MAX = 500;

let nextRowId = 1;
export function metadataRow(key = '', value = ''): MetadataRow {
  return { id: nextRowId++, key, value };
}

export function emptyCustomerDraft(): CustomerDraft {
  return { name: '', email: '', country: '', currency: 'USD', externalId: '', metadata: [] };
}

export function draftOf(customer: Customer): CustomerDraft {
  return {
    name: customer.name,
    email: customer.email ?? '',
    country: customer.country ?? '',
    currency: customer.currency,
    externalId: customer.external_id ?? '',
    metadata: Object.entries(customer.metadata ?? {}).map(([key, value]) => metadataRow(key, value)),
  };
}

/**
 * Field errors: keyed by the form's field ("name", "email", "country",
 * "currency", "external_id", "metadata") or by one metadata row
 * ("metadata:<row id>", its key or value).
 */
export type FieldErrors = Record<string, string>;

export function rowField(row: Pick<MetadataRow, 'id'>): string {
  return `metadata:${row.id}`;
}

/** The rows that say something (both parts empty: an unused row, left out). */
function usedRows(rows: readonly MetadataRow[]): MetadataRow[] {
  return rows.filter((row) => row.key.trim() !== '' || row.value !== '');
}

/** What is wrong with the draft before anything is sent (the server checks again). */
export function draftProblems(draft: CustomerDraft, creating: boolean): FieldErrors {
  const problems: FieldErrors = {};
  if (!draft.name.trim()) problems.name = 'Enter a name.';
  const country = draft.country.trim();
  if (country && !/^[A-Za-z]{2}$/.test(country)) problems.country = 'Two letters, e.g. DE or US.';
  if (creating && draft.currency.trim() && !/^[A-Za-z]{3}$/.test(draft.currency.trim()))
    problems.currency = 'Three letters, e.g. USD or EUR.';
  const rows = usedRows(draft.metadata);
  if (rows.length > METADATA_MAX_KEYS) problems.metadata = `At most ${METADATA_MAX_KEYS} keys.`;
  const seen = new Set<string>();
  for (const row of rows) {
    const key = row.key.trim();
    let problem: string | null = null;
    if (!key) problem = 'Enter a key for this value.';
    else if (key.length > METADATA_KEY_MAX) problem = `A key has at most ${METADATA_KEY_MAX} characters.`;
    else if (/[[\]]/.test(key)) problem = 'A key cannot contain [ or ].';
    else if (seen.has(key)) problem = `The key ${key} is already above.`;
    else if (row.value === '') problem = 'Enter a value, or remove the row.';
    else if (row.value.length > METADATA_VALUE_MAX) problem = `A value has at most ${METADATA_VALUE_MAX} characters.`;
    if (problem) problems[rowField(row)] = problem;
    seen.add(key);
  }
  return problems;
}

function metadataOf(rows: readonly MetadataRow[]): Metadata {
  const metadata: Metadata = {};
  for (const row of usedRows(rows)) metadata[row.key.trim()] = row.value;
  return metadata;
}

/** POST /billing/customers: the fields filled in (empty ones left out, so the server's defaults apply). */
export function newCustomerBody(draft: CustomerDraft): NewCustomer {
  const body: NewCustomer = { name: draft.name.trim() };
  const email = draft.email.trim();
  const country = draft.country.trim().toUpperCase();
  const currency = draft.currency.trim().toUpperCase();
  const externalId = draft.externalId.trim();
  if (email) body.email = email;
  if (country) body.country = country;
  if (currency) body.currency = currency;
  if (externalId) body.external_id = externalId;
  const metadata = metadataOf(draft.metadata);
  if (Object.keys(metadata).length > 0) body.metadata = metadata;
  return body;
}

/**
 * PATCH /billing/customers/{id}: only what differs from `customer`. A field
 * emptied is sent as null (removed); metadata is merged by the server, so a
 * key removed (or renamed) is sent as null and only new or changed values
 * are sent. An empty object: nothing changed.
 */
export function customerChange(customer: Customer, draft: CustomerDraft): CustomerUpdate {
  const change: CustomerUpdate = {};
  const name = draft.name.trim();
  if (name !== customer.name) change.name = name;
  const optional = (value: string, current: string | null) => {
    const text = value.trim();
    if (text === (current ?? '')) return undefined;
    return text === '' ? null : text;
  };
  const email = optional(draft.email, customer.email);
  if (email !== undefined) change.email = email;
  const country = optional(draft.country.toUpperCase(), customer.country);
  if (country !== undefined) change.country = country;
  const externalId = optional(draft.externalId, customer.external_id);
  if (externalId !== undefined) change.external_id = externalId;
  const before = customer.metadata ?? {};
  const after = metadataOf(draft.metadata);
  const metadata: Record<string, string | null> = {};
  for (const key of Object.keys(before)) if (!(key in after)) metadata[key] = null;
  for (const [key, value] of Object.entries(after)) if (before[key] !== value) metadata[key] = value;
  if (Object.keys(metadata).length > 0) change.metadata = metadata;
  return change;
}

export const CUSTOMER_FIELDS: ReadonlySet<string> = new Set([
  'name',
  'email',
  'country',
  'currency',
  'external_id',
  'metadata',
]);

/**
 * The form field a server error is about, from its `param`: "email" is the
 * email field, "metadata[tier]" the row whose key is tier (else the metadata
 * group); null when it is about no field of the form (a header, an unknown
 * field), then the dialog shows it above the buttons.
 */
export function fieldForParam(
  param: string | null,
  rows: readonly MetadataRow[] = [],
  fields: ReadonlySet<string> = CUSTOMER_FIELDS,
): string | null {
  if (!param) return null;
  const key = /^metadata\[(.*)\]$/.exec(param)?.[1];
  if (key !== undefined && fields.has('metadata')) {
    const row = rows.find((r) => r.key.trim() === key);
    return row ? rowField(row) : 'metadata';
  }
  return fields.has(param) ? param : null;
}

/** The error of a failed request as field errors, or null when it is about no field of the form. */
export function serverFieldError(
  error: unknown,
  rows: readonly MetadataRow[] = [],
  fields: ReadonlySet<string> = CUSTOMER_FIELDS,
): FieldErrors | null {
  if (!(error instanceof ApiError)) return null;
  const field = fieldForParam(error.param, rows, fields);
  return field ? { [field]: error.message } : null;
}

// ---------------------------------------------------------------------------
// Idempotency-Key

export interface SentKey {
  key: string;
  /** The body sent with it, as JSON. */
  body: string;
}

/**
 * The Idempotency-Key for sending `body`: the previous one when the body is
 * the same (a double submit or a retry: the server creates once, and a
 * refused request released its key), a new one for another body (the same
 * key with another body is refused, 422).
 */
export function keyFor(
  previous: SentKey | null,
  body: unknown,
  make: () => string = () => crypto.randomUUID(),
): SentKey {
  const text = JSON.stringify(body);
  if (previous && previous.body === text) return previous;
  return { key: make(), body: text };
}

// ---------------------------------------------------------------------------
// Lists in the URL

export const CUSTOMERS_PAGE_SIZE = 20;

/** ?q=…&page=2 of the customer list. */
export function parseCustomerView(params: URLSearchParams): { q: string; page: number } {
  const page = Number(params.get('page'));
  return {
    q: (params.get('q') ?? '').slice(0, 200),
    page: Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1,
  };
}

export function customerViewParams(view: { q: string; page: number }): URLSearchParams {
  const params = new URLSearchParams();
  if (view.q.trim()) params.set('q', view.q.trim());
  if (view.page > 1) params.set('page', String(view.page));
  return params;
}

export const WEBHOOK_STATUSES: readonly StripeWebhookStatus[] = [
  'pending',
  'processing',
  'processed',
  'failed',
  'dead',
];
export const WEBHOOKS_PAGE_SIZE = 25;

export interface WebhookView {
  status: StripeWebhookStatus | '';
  /** Cursor: the page of events older than this id. */
  after: string;
  /** Cursor: the page of events newer than this id. */
  before: string;
}

function cursor(value: string | null): string {
  return value && /^\d{1,18}$/.test(value) ? value : '';
}

/** ?status=failed&after=23 of the webhook list; anything malformed is left out. */
export function parseWebhookView(params: URLSearchParams): WebhookView {
  const status = params.get('status') ?? '';
  const after = cursor(params.get('after'));
  return {
    status: (WEBHOOK_STATUSES as readonly string[]).includes(status) ? (status as StripeWebhookStatus) : '',
    after,
    before: after ? '' : cursor(params.get('before')),
  };
}

export function webhookViewParams(view: WebhookView): URLSearchParams {
  const params = new URLSearchParams();
  if (view.status) params.set('status', view.status);
  if (view.after) params.set('after', view.after);
  else if (view.before) params.set('before', view.before);
  return params;
}
