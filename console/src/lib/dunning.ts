// Dunning in words: the retries of an invoice whose payment failed
// (docs/dunning.md), as the past-due banner and an invoice's "Payment retries"
// section say them. Pure functions, so the wording is tested without React.
import { formatDate, formatDateTime } from './format';
import type { DunningAttempt, DunningCampaign, DunningCampaignPage } from './types';

export type DunningState = DunningCampaign['state'];
export type FinalAction = DunningCampaign['final_action'];

export interface DunningBadgeLook {
  label: string;
  /** A badge-<tone> class of styles.css. */
  tone: 'dunning-active' | 'dunning-recovered' | 'dunning-exhausted' | 'dunning-closed';
}

const STATE_LABELS: Record<DunningState, string> = {
  active: 'Retrying',
  recovered: 'Recovered',
  exhausted: 'Retries exhausted',
  closed: 'Closed',
};

/** A campaign's state as a badge: Retrying, Recovered, Retries exhausted or Closed. */
export function dunningBadge(state: DunningState): DunningBadgeLook {
  return { label: STATE_LABELS[state] ?? state, tone: `dunning-${state}` };
}

/**
 * The number of the retry to come ("retry 2 of 4": 2), or null when none is
 * to come (the campaign ended, or every retry was made).
 */
export function upcomingRetry(
  campaign: Pick<DunningCampaign, 'state' | 'attempts_made' | 'attempts_total' | 'next_attempt_at'>,
): number | null {
  if (campaign.state !== 'active' || campaign.next_attempt_at === null) return null;
  if (campaign.attempts_made >= campaign.attempts_total) return null;
  return campaign.attempts_made + 1;
}

/** "retry 1 of 4" for the retry to come, or null when none is. */
export function upcomingRetryLabel(
  campaign: Pick<DunningCampaign, 'state' | 'attempts_made' | 'attempts_total' | 'next_attempt_at'>,
): string | null {
  const next = upcomingRetry(campaign);
  return next === null ? null : `retry ${next} of ${campaign.attempts_total}`;
}

/** "0 of 4": the retries made of those planned. */
export function retriesMade(campaign: Pick<DunningCampaign, 'attempts_made' | 'attempts_total'>): string {
  return `${campaign.attempts_made} of ${campaign.attempts_total}`;
}

/** What follows the last declined retry, as the campaign will do it (present tense). */
const FINAL_ACTIONS: Record<FinalAction, string> = {
  mark_uncollectible: 'the invoice is marked uncollectible',
  cancel_subscription: 'the subscription is canceled',
  leave_past_due: 'the invoice stays open and the subscription stays past due',
};

/** The same, once it has happened (an exhausted campaign). */
const FINAL_ACTIONS_DONE: Record<FinalAction, string> = {
  mark_uncollectible: 'the invoice was marked uncollectible',
  cancel_subscription: 'the subscription was canceled',
  leave_past_due: 'the invoice stayed open and the subscription past due',
};

/**
 * The final action in words: "After the last retry: the invoice is marked
 * uncollectible." while retries are to come, "After the last retry the invoice
 * was marked uncollectible." once they are exhausted; null when the campaign
 * ended otherwise (paid, or voided elsewhere): no final action applies.
 */
export function finalActionText(campaign: Pick<DunningCampaign, 'state' | 'final_action'>): string | null {
  switch (campaign.state) {
    case 'active':
      return `After the last retry: ${FINAL_ACTIONS[campaign.final_action] ?? campaign.final_action}.`;
    case 'exhausted':
      return `After the last retry ${FINAL_ACTIONS_DONE[campaign.final_action] ?? campaign.final_action}.`;
    default:
      return null;
  }
}

export interface DunningFact {
  /** Which fact it is (a stable hook for tests and keys). */
  key: 'retries-made' | 'next-retry' | 'failed' | 'ended' | 'last-failure';
  label: string;
  value: string;
  /** A line under the value ("Retry 1 of 4"). */
  note?: string;
  /** Long text (a decline message): a row of its own. */
  wide?: boolean;
}

const ENDED_LABELS: Record<DunningState, string> = {
  active: 'Ended',
  recovered: 'Paid',
  exhausted: 'Retries ended',
  closed: 'Closed',
};

/**
 * The facts of the "Payment retries" section: retries made ("0 of 4"), the
 * next retry (when and which), when the payment failed, when the campaign
 * ended, and the last failure.
 */
export function dunningFacts(
  campaign: Pick<
    DunningCampaign,
    'state' | 'attempts_made' | 'attempts_total' | 'next_attempt_at' | 'started_at' | 'ended_at' | 'last_failure'
  >,
): DunningFact[] {
  const facts: DunningFact[] = [{ key: 'retries-made', label: 'Retries made', value: retriesMade(campaign) }];
  const next = upcomingRetryLabel(campaign);
  if (next !== null && campaign.next_attempt_at !== null) {
    facts.push({
      key: 'next-retry',
      label: 'Next retry',
      value: formatDateTime(campaign.next_attempt_at),
      note: capitalize(next),
    });
  }
  facts.push({ key: 'failed', label: 'Payment failed', value: formatDate(campaign.started_at) });
  if (campaign.ended_at !== null) {
    facts.push({ key: 'ended', label: ENDED_LABELS[campaign.state] ?? 'Ended', value: formatDate(campaign.ended_at) });
  }
  if (campaign.last_failure)
    facts.push({ key: 'last-failure', label: 'Last failure', value: campaign.last_failure, wide: true });
  return facts;
}

/** An attempt's outcome in words. */
export function attemptOutcome(attempt: Pick<DunningAttempt, 'outcome'>): string {
  return attempt.outcome === 'succeeded' ? 'Paid' : 'Declined';
}

/** Attempts in the order they were made (the API's order is not promised). */
export function attemptsInOrder(attempts: readonly DunningAttempt[]): DunningAttempt[] {
  return [...attempts].sort((a, b) => a.attempt - b.attempt);
}

/** The past-due banner's campaign: the active one whose retry is due first (then the newest), or null. */
export function pastDueCampaign(page: Pick<DunningCampaignPage, 'data'> | null | undefined): DunningCampaign | null {
  const active = (page?.data ?? []).filter((campaign) => campaign.state === 'active');
  if (active.length === 0) return null;
  const due = (campaign: DunningCampaign) => {
    const at = campaign.next_attempt_at === null ? Number.NaN : Date.parse(campaign.next_attempt_at);
    return Number.isNaN(at) ? Number.MAX_SAFE_INTEGER : at;
  };
  // A stable sort: campaigns due at the same time keep the API's order (newest first).
  return [...active].sort((a, b) => due(a) - due(b))[0]!;
}

export interface PastDueNotice {
  /** "Payment failed for invoice INV-2026-000012." */
  failed: string;
  /** "We will retry on Dec 1, 2026 (retry 1 of 4)." or null when no retry is to come. */
  retry: string | null;
  /** What the member can do about it. */
  action: string;
  /** "Another invoice's payment failed too." when the customer has more than one campaign, else null. */
  others: string | null;
}

/**
 * The banner's sentences for a member whose customer has an active campaign.
 * `invoiceNumber` when known (else "an invoice"); `activeCount`: the active
 * campaigns the customer has (the list's total).
 */
export function pastDueNotice(
  campaign: Pick<DunningCampaign, 'state' | 'attempts_made' | 'attempts_total' | 'next_attempt_at'>,
  invoiceNumber: string | null | undefined,
  activeCount = 1,
): PastDueNotice {
  const next = upcomingRetryLabel(campaign);
  const others = activeCount - 1;
  return {
    failed: `Payment failed for ${invoiceNumber ? `invoice ${invoiceNumber}` : 'an invoice'}.`,
    retry:
      next !== null && campaign.next_attempt_at !== null
        ? `We will retry on ${formatDate(campaign.next_attempt_at)} (${next}).`
        : null,
    action: 'Update your payment method or pay now to keep your subscription active.',
    others:
      others <= 0
        ? null
        : others === 1
          ? "Another invoice's payment failed too."
          : `The payments of ${others} other invoices failed too.`,
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
