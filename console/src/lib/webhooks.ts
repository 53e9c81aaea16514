// The Webhooks pages' logic, apart from React: the event types an endpoint
// can subscribe to, the "Add endpoint" form's request, labels for endpoints,
// deliveries and attempts, and the deliveries view in the URL
// (?status=failed&page=2).
import type { FieldErrors } from './adminForms';
import type { Built } from './dialogSubmit';
import type {
  NewWebhookEndpoint,
  Role,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookEndpoint,
  WebhookEventType,
} from './types';

/** Every type but "*", which stands for all of them. */
export type EventType = Exclude<WebhookEventType, '*'>;

export const ALL_EVENTS = '*';

/**
 * When each type is sent, as docs/webhooks.md says. A Record of every
 * documented type: a type added to (or removed from) docs/openapi.yaml fails
 * `tsc` here until it has its line.
 */
export const EVENT_TYPE_HINTS: Record<EventType, string> = {
  'budget.forecast_exceeded': 'The projected invoice passes the budget (once a period).',
  'budget.threshold_crossed': 'Spend reaches 50, 80 or 100 % of the budget (once each a period).',
  'credit_note.created': 'A credit note is issued.',
  'credits.applied': 'Prepaid credits pay part of an invoice.',
  'dunning.closed': 'A failed invoice is voided or marked uncollectible elsewhere: its retries stop.',
  'dunning.exhausted': 'The last retry of a failed payment is declined: the final action applies.',
  'dunning.recovered': 'A failed invoice gets paid: the subscription is active again.',
  'dunning.retry_failed': 'A retry of a failed payment is declined; the next one is scheduled.',
  'dunning.started': 'A payment fails: retries are scheduled and the subscription is past due.',
  'invoice.finalized': 'An invoice is finalized (numbered).',
  'invoice.paid': 'An invoice becomes paid.',
  'invoice.payment_failed': 'Stripe reports a failed payment.',
  'invoice.voided': 'An invoice is voided.',
  'reconciliation.alert': 'A reconciliation finds discrepancies over the threshold.',
  'subscription.canceled': 'A subscription ends.',
  'subscription.trial_will_end': 'Three days before a trial ends.',
  'subscription.updated': 'A plan change, a scheduled end, a trial that ends active.',
  'usage.threshold_crossed': 'A metric passes 75, 90 or 100 % of its limit.',
};

/** The types in the document's order. */
export const EVENT_TYPES = Object.keys(EVENT_TYPE_HINTS) as EventType[];

/** The platform's own events: only platform-wide (admins') endpoints receive them. */
const PLATFORM_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>(['reconciliation.alert']);

/** The types worth offering to someone with this role (a member's endpoint never gets the platform's events). */
export function eventTypesFor(role: Role): EventType[] {
  return role === 'admin' ? EVENT_TYPES : EVENT_TYPES.filter((type) => !PLATFORM_EVENT_TYPES.has(type));
}

export function isAllEvents(events: readonly WebhookEventType[]): boolean {
  return events.includes(ALL_EVENTS);
}

// ---------------------------------------------------------------------------
// The "Add endpoint" form

export interface EndpointDraft {
  url: string;
  description: string;
  /** Every type, also those added later (["*"]). */
  allEvents: boolean;
  events: EventType[];
}

export function emptyEndpointDraft(): EndpointDraft {
  return { url: '', description: '', allEvents: false, events: [] };
}

/** The fields a server error's `param` can name (url, events, description). */
export const ENDPOINT_FIELDS: ReadonlySet<string> = new Set(['url', 'events', 'description']);

export const URL_MAX = 2048;
export const DESCRIPTION_MAX = 500;

/** `events` with `type` added or taken out, in the document's order. */
export function toggleEvent(events: readonly EventType[], type: EventType, on: boolean): EventType[] {
  const chosen = new Set(events);
  if (on) chosen.add(type);
  else chosen.delete(type);
  return EVENT_TYPES.filter((t) => chosen.has(t));
}

function isAbsoluteUrl(text: string): boolean {
  try {
    return new URL(text).host !== '';
  } catch {
    return false;
  }
}

/**
 * POST /webhook-endpoints from the form, or what keeps it from being sent. Only
 * the shape is checked here; whether the scheme and the address are allowed is
 * the server's to say (it may allow http and private addresses), under the field.
 */
export function buildEndpoint(draft: EndpointDraft): Built<NewWebhookEndpoint> {
  const errors: FieldErrors = {};
  const url = draft.url.trim();
  if (!url) errors.url = 'Enter the URL Meterline posts events to.';
  else if (!isAbsoluteUrl(url)) errors.url = 'Enter the whole URL, e.g. https://hooks.example.com/meterline.';
  if (!draft.allEvents && draft.events.length === 0) errors.events = 'Choose the events to send, or All events.';
  if (Object.keys(errors).length > 0) return { errors };
  const body: NewWebhookEndpoint = {
    url,
    events: draft.allEvents ? [ALL_EVENTS] : EVENT_TYPES.filter((type) => draft.events.includes(type)),
  };
  const description = draft.description.trim();
  if (description) body.description = description;
  return { body };
}

// ---------------------------------------------------------------------------
// Endpoints

/** How long a rotated-out secret keeps signing (the console always asks for the server's default). */
export const ROTATION_OVERLAP_HOURS = 24;

export function endpointStatusLabel(endpoint: Pick<WebhookEndpoint, 'status'>): string {
  return endpoint.status === 'enabled' ? 'Enabled' : 'Disabled';
}

/** Whose events it gets: "Platform-wide" (an admin's), or the customer's name. */
export function endpointScope(endpoint: Pick<WebhookEndpoint, 'customer_id'>, nameOf: (id: string) => string): string {
  return endpoint.customer_id ? nameOf(endpoint.customer_id) : 'Platform-wide';
}

/** Whether the rotated-out secret still signs deliveries at `now`. */
export function previousSecretActive(
  endpoint: Pick<WebhookEndpoint, 'previous_secret_expires_at'>,
  now: Date = new Date(),
): boolean {
  const until = endpoint.previous_secret_expires_at;
  return until !== null && Date.parse(until) > now.getTime();
}

// ---------------------------------------------------------------------------
// Deliveries

/** A Record of every documented status (tsc checks it), in the order the filter offers them. */
export const DELIVERY_STATUS_LABELS: Record<WebhookDeliveryStatus, string> = {
  pending: 'Pending',
  processing: 'Processing',
  succeeded: 'Succeeded',
  failed: 'Failed',
};

export const DELIVERY_STATUSES = Object.keys(DELIVERY_STATUS_LABELS) as WebhookDeliveryStatus[];

export const DELIVERIES_PAGE_SIZE = 20;

export interface DeliveryView {
  status: WebhookDeliveryStatus | '';
  /** 1-based. */
  page: number;
}

/** ?status=failed&page=2 of the deliveries view; anything malformed is left out. */
export function parseDeliveryView(params: URLSearchParams): DeliveryView {
  const status = params.get('status') ?? '';
  const page = Number(params.get('page'));
  return {
    status: (DELIVERY_STATUSES as readonly string[]).includes(status) ? (status as WebhookDeliveryStatus) : '',
    page: Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1,
  };
}

export function deliveryViewParams(view: DeliveryView): URLSearchParams {
  const params = new URLSearchParams();
  if (view.status) params.set('status', view.status);
  if (view.page > 1) params.set('page', String(view.page));
  return params;
}

export function deliveryQuery(view: DeliveryView): { status?: WebhookDeliveryStatus; limit: number; offset: number } {
  return {
    status: view.status || undefined,
    limit: DELIVERIES_PAGE_SIZE,
    offset: (view.page - 1) * DELIVERIES_PAGE_SIZE,
  };
}

/** An attempt's answer in short: "HTTP 200", or "No answer" (refused, timed out, not a public address). */
export function answerLabel(statusCode: number | null): string {
  return statusCode === null ? 'No answer' : `HTTP ${statusCode}`;
}

/** The last answer of a delivery: "HTTP 200", its error, or "Not tried yet". */
export function lastAnswer(delivery: Pick<WebhookDelivery, 'attempts' | 'last_status_code' | 'last_error'>): string {
  if (delivery.last_status_code !== null) return answerLabel(delivery.last_status_code);
  if (delivery.last_error) return delivery.last_error;
  return delivery.attempts === 0 ? 'Not tried yet' : 'No answer';
}

/** "12 ms", "1.2 s", "10 s". */
export function formatLatency(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** Whether an attempt counts as delivered (any 2xx). */
export function attemptSucceeded(attempt: Pick<WebhookAttempt, 'status_code'>): boolean {
  return attempt.status_code !== null && attempt.status_code >= 200 && attempt.status_code < 300;
}
