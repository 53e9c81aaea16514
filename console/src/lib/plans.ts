// The Plan page's words: a subscription's state, the plans on offer, what a
// plan change previews and the messages after a change or cancellation. Pure
// functions of the API's answers (billing dates are UTC), tested on their own.
import { ApiError } from './api';
import { formatDate, formatMoney, formatPeriod, formatQuantity } from './format';
import type {
  CancelTiming,
  PlanChange,
  PlanChangePart,
  PlanChangeTiming,
  PlanOffer,
  Period,
  Subscription,
} from './types';

type Named = Pick<PlanOffer, 'id' | 'name'>;

/** A plan's name as the offers have it; a plan no longer offered (archived) by its id. */
export function planName(plans: readonly Named[], id: string): string {
  return plans.find((plan) => plan.id === id)?.name ?? id;
}

/** "$299.00 a month". */
export function feePerInterval(plan: Pick<PlanOffer, 'base_fee' | 'interval'>): string {
  return `${formatMoney(plan.base_fee)} a ${plan.interval}`;
}

/** A metric's allowance with its unit: "10,000,000 impressions", "500 GB" (bytes as on the usage page). */
export function formatAllowance(limit: number, unit: string): string {
  return formatQuantity(limit, unit);
}

function parse(iso: string): Date | null {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

function isMidnight(date: Date): boolean {
  return date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0;
}

function clock(date: Date): string {
  return `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
}

/** A moment: the day when it is a day's start ("Dec 1, 2026"), else with the time ("Nov 30, 2026, 11:00 UTC"). */
export function formatMoment(iso: string): string {
  const date = parse(iso);
  if (!date) return '—';
  return isMidnight(date) ? formatDate(iso) : `${formatDate(iso)}, ${clock(date)} UTC`;
}

/**
 * A stretch of time: whole days as formatPeriod shows them ("Nov 1 – Nov 30,
 * 2026"), a stretch that starts or ends within a day with the times of both
 * ends ("Nov 30, 2026, 11:00 – Dec 1, 2026, 00:00 UTC").
 */
export function formatSpan(period: Period): string {
  const start = parse(period.start);
  const end = parse(period.end);
  if (!start || !end) return '—';
  if (isMidnight(start) && isMidnight(end)) return formatPeriod(period);
  return `${formatDate(period.start)}, ${clock(start)} – ${formatDate(period.end)}, ${clock(end)} UTC`;
}

export interface BadgeLook {
  label: string;
  /** A badge-<tone> class of styles.css. */
  tone: 'enabled' | 'open' | 'overdue' | 'draft';
}

/** The subscription's state as a badge: Active, Trial, Past due, Ending or Canceled. */
export function subscriptionBadge(sub: Pick<Subscription, 'status' | 'cancel_at' | 'ended_at'>): BadgeLook {
  if (sub.ended_at !== null || sub.status === 'canceled') return { label: 'Canceled', tone: 'draft' };
  if (sub.cancel_at !== null) return { label: 'Ending', tone: 'open' };
  switch (sub.status) {
    case 'trialing':
      return { label: 'Trial', tone: 'open' };
    case 'past_due':
      return { label: 'Past due', tone: 'overdue' };
    default:
      return { label: 'Active', tone: 'enabled' };
  }
}

type SubscriptionState = Pick<Subscription, 'status' | 'cancel_at' | 'ended_at' | 'scheduled_change' | 'trial'>;

export interface SubscriptionNote {
  kind: 'ended' | 'ending' | 'changing' | 'trial';
  text: string;
}

/**
 * What is going to happen (or has) to the subscription: "Free trial until Nov 15, 2026: …",
 * "Changes to Growth on Dec 1, 2026.", "Ends on …", "Ended on …".
 */
export function subscriptionNotes(sub: SubscriptionState, plans: readonly Named[]): SubscriptionNote[] {
  if (sub.ended_at !== null) return [{ kind: 'ended', text: `Ended on ${formatMoment(sub.ended_at)}.` }];
  const notes: SubscriptionNote[] = [];
  if (sub.status === 'trialing' && sub.trial) {
    notes.push({
      kind: 'trial',
      text: `Free trial until ${formatMoment(sub.trial.end)}: no base fee until then. Billing starts with the first period.`,
    });
  }
  if (sub.scheduled_change) {
    const { plan_id, effective_at } = sub.scheduled_change;
    notes.push({ kind: 'changing', text: `Changes to ${planName(plans, plan_id)} on ${formatMoment(effective_at)}.` });
  }
  if (sub.cancel_at !== null) notes.push({ kind: 'ending', text: `Ends on ${formatMoment(sub.cancel_at)}.` });
  return notes;
}

export interface SubscriptionActions {
  /** Move to another plan. */
  change: boolean;
  cancel: boolean;
  /** Withdraw a cancellation at the period's end. */
  reactivate: boolean;
  /** Withdraw the scheduled plan change ("Keep current plan"). */
  keep: boolean;
}

/**
 * What can be done now: nothing once it has ended or was canceled (canceled is
 * final, even while its last hour runs); while it is set to end at the
 * period's end, reactivate rather than cancel.
 */
export function subscriptionActions(sub: SubscriptionState): SubscriptionActions {
  const over = sub.ended_at !== null || sub.status === 'canceled';
  return {
    change: !over,
    cancel: !over && sub.cancel_at === null,
    reactivate: !over && sub.cancel_at !== null,
    keep: !over && sub.scheduled_change !== null,
  };
}

/** "Since Nov 30, 2026, 11:00 UTC" when the plan changed within the current period, else null. */
export function segmentNote(sub: Pick<Subscription, 'current_period' | 'current_segment'>): string | null {
  const period = sub.current_period;
  const segment = sub.current_segment;
  if (!period || !segment || segment.start === period.start) return null;
  return `Since ${formatMoment(segment.start)}`;
}

// A plan change and its preview.

export const TIMING_CHOICES: readonly { value: PlanChangeTiming; title: string }[] = [
  { value: 'now', title: 'Now (prorated)' },
  { value: 'period_end', title: 'At the end of the period' },
];

/** What each timing means for this subscription, under its choice. */
export function timingHint(
  timing: PlanChangeTiming,
  sub: Pick<Subscription, 'current_period'>,
  fromName: string,
): string {
  if (timing === 'now') {
    return 'From the start of this hour: this period is split, and each part is charged for its share.';
  }
  const end = sub.current_period?.end;
  return end
    ? `${fromName} stays until the period ends on ${formatMoment(end)}; the new plan starts then.`
    : `${fromName} stays until the period ends; the new plan starts then.`;
}

/** When the previewed change applies. */
export function timingSummary(change: Pick<PlanChange, 'effective' | 'effective_at'>): string {
  return change.effective === 'now'
    ? `Applies now, from ${formatMoment(change.effective_at)} (the start of this hour).`
    : `Applies at the end of the period, on ${formatMoment(change.effective_at)}.`;
}

/** What the member is told once the change is made. */
export function changeConfirmation(
  change: Pick<PlanChange, 'to_plan' | 'effective' | 'effective_at'>,
  plans: readonly Named[],
): string {
  const name = planName(plans, change.to_plan);
  return change.effective === 'now'
    ? `You are now on ${name}.`
    : `Your plan changes to ${name} on ${formatMoment(change.effective_at)}.`;
}

export interface PartSummary {
  title: string;
  plan: string;
  period: string;
  /** Whether it is charged for a share of the period or all of it. */
  proration: string;
  invoiced: string;
}

/** One part of a preview in words: which stretch, on which plan, prorated or not, and when it is invoiced. */
export function describePart(part: PlanChangePart, timing: PlanChangeTiming, plans: readonly Named[]): PartSummary {
  let title: string;
  if (timing === 'period_end') title = part.part === 'before' ? 'This period' : 'The next period';
  else if (part.part === 'before') title = 'This period, until the change';
  else title = part.prorated ? 'The rest of this period' : 'This period';
  return {
    title,
    plan: `${planName(plans, part.plan_id)}, version ${part.plan_version}`,
    period: formatSpan(part.period),
    proration: part.prorated ? 'Prorated: charged for its share of the period' : 'The whole period',
    invoiced: formatMoment(part.invoiced_at),
  };
}

// Cancellation.

export function cancelChoices(
  sub: Pick<Subscription, 'current_period'>,
): readonly { value: CancelTiming; title: string; hint: string }[] {
  const end = sub.current_period?.end;
  return [
    {
      value: 'period_end',
      title: 'At the end of the period',
      hint: end
        ? `It ends on ${formatMoment(end)}; you can reactivate it until then.`
        : 'It ends with the current period; you can reactivate it until then.',
    },
    {
      value: 'now',
      title: 'Now — final invoice for the part of the period used',
      hint: 'It ends at the end of this hour, and its final invoice covers the part of the period used. This cannot be undone.',
    },
  ];
}

/** What the member is told after cancelling. */
export function cancelConfirmation(sub: Pick<Subscription, 'cancel_at' | 'ended_at'>, at: CancelTiming): string {
  const end = sub.ended_at ?? sub.cancel_at;
  if (at === 'now')
    return end ? `Your subscription is canceled; it ends on ${formatMoment(end)}.` : 'Your subscription is canceled.';
  return end ? `Your subscription ends on ${formatMoment(end)}.` : 'Your subscription ends with this period.';
}

// Errors.

/** Shown to a member when the server keeps plan changes to administrators (SELF_SERVICE_PLAN_CHANGES off). */
export const SELF_SERVICE_OFF = 'Plan changes are made by your account administrator.';

/** The 403 a member gets for a change or cancellation while self-service is off. */
export function isSelfServiceOff(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403 && error.code === 'self_service_disabled';
}

/** The message for a failed plan action: the server's (as ApiError words it), or who makes changes here. */
export function planActionMessage(error: unknown): string {
  if (isSelfServiceOff(error)) return `${SELF_SERVICE_OFF} Ask them to change or cancel your plan.`;
  return error instanceof Error ? error.message : String(error);
}

/** The message for a Customer Portal session that could not be opened: Stripe not set up here, or the server's words. */
export function portalFailure(error: unknown): string {
  if (error instanceof ApiError && error.status === 503 && error.code === 'not_configured') {
    return 'Payment methods are managed in Stripe, which is not set up here. Ask your account administrator.';
  }
  return `The payment methods page could not be opened: ${error instanceof Error ? error.message : String(error)}`;
}

/** A plan's trial for new subscriptions in words: "14-day free trial, usage billed, payment method required"; null without one. */
export function trialTerms(trial: {
  days: number;
  usage: 'free' | 'billed';
  requires_payment_method: boolean;
}): string | null {
  if (trial.days <= 0) return null;
  const parts = [`${trial.days}-day free trial`];
  parts.push(trial.usage === 'billed' ? 'usage billed' : 'usage free');
  if (trial.requires_payment_method) parts.push('payment method required');
  return parts.join(', ');
}
