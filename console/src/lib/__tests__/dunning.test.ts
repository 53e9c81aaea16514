import { describe, expect, it } from 'vitest';
import {
  attemptOutcome,
  attemptsInOrder,
  dunningBadge,
  dunningFacts,
  finalActionText,
  pastDueCampaign,
  pastDueNotice,
  retriesMade,
  upcomingRetry,
  upcomingRetryLabel,
} from '../dunning';
import type { DunningAttempt, DunningCampaign } from '../types';

/** The demo's campaign: the payment failed on Nov 28, four retries planned, none made yet. */
function campaign(change: Partial<DunningCampaign> = {}): DunningCampaign {
  return {
    object: 'dunning_campaign',
    id: 'dun_1',
    invoice_id: 'inv_1',
    customer_id: 'cus_1',
    subscription_id: 'sub_1',
    state: 'active',
    final_action: 'mark_uncollectible',
    attempts_made: 0,
    attempts_total: 4,
    schedule: [
      '2026-12-01T19:40:47.739Z',
      '2026-12-05T19:40:47.739Z',
      '2026-12-12T19:40:47.739Z',
      '2026-12-19T19:40:47.739Z',
    ],
    next_attempt_at: '2026-12-01T19:40:47.739Z',
    last_failure: null,
    started_at: '2026-11-28T19:40:47.739Z',
    ended_at: null,
    attempts: [],
    ...change,
  };
}

function attempt(change: Partial<DunningAttempt> = {}): DunningAttempt {
  return {
    attempt: 1,
    attempted_at: '2026-12-01T19:40:50.000Z',
    outcome: 'failed',
    code: 'card_declined',
    message: 'Your card was declined.',
    ...change,
  };
}

/** One declined retry made, the second due on Dec 5. */
const afterOneDecline = campaign({
  attempts_made: 1,
  next_attempt_at: '2026-12-05T19:40:47.739Z',
  last_failure: 'card_declined: Your card was declined.',
  attempts: [attempt()],
});

describe('dunningBadge', () => {
  it('names each state, with a badge tone of its own', () => {
    expect(dunningBadge('active')).toEqual({ label: 'Retrying', tone: 'dunning-active' });
    expect(dunningBadge('recovered')).toEqual({ label: 'Recovered', tone: 'dunning-recovered' });
    expect(dunningBadge('exhausted')).toEqual({ label: 'Retries exhausted', tone: 'dunning-exhausted' });
    expect(dunningBadge('closed')).toEqual({ label: 'Closed', tone: 'dunning-closed' });
  });
});

describe('retries', () => {
  it('counts the retry to come from the ones made', () => {
    expect(upcomingRetry(campaign())).toBe(1);
    expect(upcomingRetryLabel(campaign())).toBe('retry 1 of 4');
    expect(upcomingRetryLabel(afterOneDecline)).toBe('retry 2 of 4');
    expect(retriesMade(campaign())).toBe('0 of 4');
    expect(retriesMade(afterOneDecline)).toBe('1 of 4');
  });

  it('has no retry to come once the campaign ended, every retry was made, or none is scheduled', () => {
    expect(upcomingRetry(campaign({ state: 'recovered', next_attempt_at: null }))).toBeNull();
    // An ended campaign's stale date does not count.
    expect(upcomingRetry(campaign({ state: 'exhausted' }))).toBeNull();
    expect(upcomingRetry(campaign({ attempts_made: 4 }))).toBeNull();
    expect(upcomingRetryLabel(campaign({ next_attempt_at: null }))).toBeNull();
  });
});

describe('finalActionText', () => {
  it('says what follows the last retry while retries are to come', () => {
    expect(finalActionText(campaign())).toBe('After the last retry: the invoice is marked uncollectible.');
    expect(finalActionText(campaign({ final_action: 'cancel_subscription' }))).toBe(
      'After the last retry: the subscription is canceled.',
    );
    expect(finalActionText(campaign({ final_action: 'leave_past_due' }))).toBe(
      'After the last retry: the invoice stays open and the subscription stays past due.',
    );
  });

  it('says what happened once the retries are exhausted, and nothing when the invoice was paid or closed', () => {
    expect(finalActionText(campaign({ state: 'exhausted' }))).toBe(
      'After the last retry the invoice was marked uncollectible.',
    );
    expect(finalActionText(campaign({ state: 'exhausted', final_action: 'cancel_subscription' }))).toBe(
      'After the last retry the subscription was canceled.',
    );
    expect(finalActionText(campaign({ state: 'recovered' }))).toBeNull();
    expect(finalActionText(campaign({ state: 'closed' }))).toBeNull();
  });
});

describe('dunningFacts', () => {
  it('shows retries made, the next retry (when and which) and when the payment failed', () => {
    expect(dunningFacts(campaign())).toEqual([
      { key: 'retries-made', label: 'Retries made', value: '0 of 4' },
      { key: 'next-retry', label: 'Next retry', value: 'Dec 1, 2026, 07:40 PM UTC', note: 'Retry 1 of 4' },
      { key: 'failed', label: 'Payment failed', value: 'Nov 28, 2026' },
    ]);
  });

  it('adds the last failure on a row of its own', () => {
    expect(dunningFacts(afterOneDecline).map((fact) => [fact.key, fact.value, fact.note, fact.wide])).toEqual([
      ['retries-made', '1 of 4', undefined, undefined],
      ['next-retry', 'Dec 5, 2026, 07:40 PM UTC', 'Retry 2 of 4', undefined],
      ['failed', 'Nov 28, 2026', undefined, undefined],
      ['last-failure', 'card_declined: Your card was declined.', undefined, true],
    ]);
  });

  it('shows when an ended campaign ended, named after how it ended, and no next retry', () => {
    const recovered = dunningFacts(
      campaign({
        state: 'recovered',
        attempts_made: 2,
        next_attempt_at: null,
        ended_at: '2026-12-05T19:41:00.000Z',
      }),
    );
    expect(recovered.map((fact) => fact.key)).toEqual(['retries-made', 'failed', 'ended']);
    expect(recovered[2]).toEqual({ key: 'ended', label: 'Paid', value: 'Dec 5, 2026' });
    const exhausted = dunningFacts(
      campaign({ state: 'exhausted', attempts_made: 4, next_attempt_at: null, ended_at: '2026-12-19T19:41:00.000Z' }),
    );
    expect(exhausted[0]!.value).toBe('4 of 4');
    expect(exhausted.find((fact) => fact.key === 'ended')?.label).toBe('Retries ended');
    const closed = dunningFacts(campaign({ state: 'closed', next_attempt_at: null, ended_at: '2026-12-02T00:00:00Z' }));
    expect(closed.find((fact) => fact.key === 'ended')?.label).toBe('Closed');
  });
});

describe('attempts', () => {
  it('names outcomes and orders attempts by number', () => {
    expect(attemptOutcome(attempt())).toBe('Declined');
    expect(attemptOutcome(attempt({ outcome: 'succeeded' }))).toBe('Paid');
    const ordered = attemptsInOrder([attempt({ attempt: 3 }), attempt({ attempt: 1 }), attempt({ attempt: 2 })]);
    expect(ordered.map((a) => a.attempt)).toEqual([1, 2, 3]);
  });
});

describe('pastDueCampaign', () => {
  it('picks the active campaign whose retry is due first, or none', () => {
    expect(pastDueCampaign(undefined)).toBeNull();
    expect(pastDueCampaign({ data: [] })).toBeNull();
    expect(pastDueCampaign({ data: [campaign({ state: 'recovered', next_attempt_at: null })] })).toBeNull();
    const later = campaign({ id: 'dun_later', next_attempt_at: '2026-12-10T00:00:00Z' });
    const sooner = campaign({ id: 'dun_sooner', next_attempt_at: '2026-12-03T00:00:00Z' });
    const unscheduled = campaign({ id: 'dun_unscheduled', next_attempt_at: null });
    expect(pastDueCampaign({ data: [unscheduled, later, sooner] })?.id).toBe('dun_sooner');
    expect(pastDueCampaign({ data: [unscheduled] })?.id).toBe('dun_unscheduled');
  });

  it('keeps the newest (the first listed) among campaigns due at the same time', () => {
    const newest = campaign({ id: 'dun_new' });
    const older = campaign({ id: 'dun_old' });
    expect(pastDueCampaign({ data: [newest, older] })?.id).toBe('dun_new');
  });
});

describe('pastDueNotice', () => {
  it('names the invoice, the next retry and what to do', () => {
    expect(pastDueNotice(campaign(), 'INV-2026-000012')).toEqual({
      failed: 'Payment failed for invoice INV-2026-000012.',
      retry: 'We will retry on Dec 1, 2026 (retry 1 of 4).',
      action: 'Update your payment method or pay now to keep your subscription active.',
      others: null,
    });
    expect(pastDueNotice(afterOneDecline, 'INV-2026-000012').retry).toBe(
      'We will retry on Dec 5, 2026 (retry 2 of 4).',
    );
  });

  it('says "an invoice" without its number, and nothing of a retry when none is scheduled', () => {
    const notice = pastDueNotice(campaign({ attempts_made: 4, next_attempt_at: null }), null);
    expect(notice.failed).toBe('Payment failed for an invoice.');
    expect(notice.retry).toBeNull();
  });

  it("mentions the customer's other failed invoices", () => {
    expect(pastDueNotice(campaign(), 'INV-1', 2).others).toBe("Another invoice's payment failed too.");
    expect(pastDueNotice(campaign(), 'INV-1', 4).others).toBe('The payments of 3 other invoices failed too.');
  });
});
