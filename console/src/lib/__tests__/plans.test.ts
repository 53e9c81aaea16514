import { describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import {
  SELF_SERVICE_OFF,
  cancelChoices,
  cancelConfirmation,
  changeConfirmation,
  describePart,
  feePerInterval,
  formatAllowance,
  formatMoment,
  formatSpan,
  isSelfServiceOff,
  planActionMessage,
  planName,
  segmentNote,
  subscriptionActions,
  subscriptionBadge,
  subscriptionNotes,
  trialTerms,
  portalFailure,
  timingHint,
  timingSummary,
} from '../plans';
import type { PlanChangePart, Subscription } from '../types';

const PLANS = [
  { id: 'starter', name: 'Starter' },
  { id: 'growth', name: 'Growth' },
  { id: 'scale', name: 'Scale' },
];

const usd = (minor: number) => ({ minor, currency: 'USD', formatted: (minor / 100).toFixed(2) });

function subscription(change: Partial<Subscription> = {}): Subscription {
  return {
    object: 'subscription',
    id: 'sub_1',
    customer_id: 'cus_1',
    plan_id: 'scale',
    plan_version: 1,
    status: 'active',
    billing_anchor: '2026-08-01T00:00:00.000Z',
    interval: 'month',
    currency: 'USD',
    current_period: { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
    current_segment: { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
    cancel_at: null,
    ended_at: null,
    canceled_at: null,
    trial: null,
    scheduled_change: null,
    phases: [{ from: '2026-08-01T00:00:00.000Z', plan_id: 'scale', plan_version: 1, source: 'create' }],
    created_at: '2026-08-01T00:00:00.000Z',
    ...change,
  };
}

function part(change: Partial<PlanChangePart> = {}): PlanChangePart {
  return {
    part: 'before',
    period: { start: '2026-11-01T00:00:00.000Z', end: '2026-11-30T11:00:00.000Z' },
    plan_id: 'scale',
    plan_version: 1,
    prorated: true,
    invoiced_at: '2026-11-30T12:00:00.000Z',
    currency: 'USD',
    lines: [],
    subtotal: usd(98096),
    tax: usd(0),
    total: usd(98096),
    ...change,
  };
}

describe('plans in words', () => {
  it('names plans by the offers, and a plan no longer offered by its id', () => {
    expect(planName(PLANS, 'growth')).toBe('Growth');
    expect(planName(PLANS, 'legacy')).toBe('legacy');
  });

  it('shows fees per interval and allowances with thousands separators, bytes in GB', () => {
    expect(feePerInterval({ base_fee: usd(299900), interval: 'month' })).toBe('$2,999.00 a month');
    expect(formatAllowance(10_000_000, 'impression')).toBe('10,000,000 impressions');
    expect(formatAllowance(500_000_000_000, 'byte')).toBe('500 GB');
    expect(formatAllowance(1, 'call')).toBe('1 call');
  });

  it('shows a moment as a day at midnight UTC, else with its time', () => {
    expect(formatMoment('2026-12-01T00:00:00.000Z')).toBe('Dec 1, 2026');
    expect(formatMoment('2026-11-30T11:00:00.000Z')).toBe('Nov 30, 2026, 11:00 UTC');
    expect(formatMoment('not a date')).toBe('—');
  });

  it('shows whole days by their first and last day, and a split period with its hours', () => {
    expect(formatSpan({ start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' })).toBe(
      'Nov 1 – Nov 30, 2026',
    );
    expect(formatSpan({ start: '2026-11-30T11:00:00.000Z', end: '2026-12-01T00:00:00.000Z' })).toBe(
      'Nov 30, 2026, 11:00 – Dec 1, 2026, 00:00 UTC',
    );
  });
});

describe('a subscription in words', () => {
  it('has a badge for each state, ending and canceled before the status', () => {
    expect(subscriptionBadge(subscription())).toEqual({ label: 'Active', tone: 'enabled' });
    expect(subscriptionBadge(subscription({ status: 'trialing' })).label).toBe('Trial');
    expect(subscriptionBadge(subscription({ status: 'past_due' })).tone).toBe('overdue');
    expect(subscriptionBadge(subscription({ cancel_at: '2026-12-01T00:00:00.000Z' })).label).toBe('Ending');
    expect(subscriptionBadge(subscription({ status: 'canceled', cancel_at: '2026-11-30T12:00:00.000Z' })).label).toBe(
      'Canceled',
    );
    expect(subscriptionBadge(subscription({ ended_at: '2026-11-01T00:00:00.000Z' })).label).toBe('Canceled');
  });

  it('says what is scheduled, what ends, and what has ended (only that)', () => {
    expect(subscriptionNotes(subscription(), PLANS)).toEqual([]);
    const scheduled = { plan_id: 'starter', plan_version: 1, effective_at: '2026-12-01T00:00:00.000Z' };
    expect(subscriptionNotes(subscription({ scheduled_change: scheduled }), PLANS)).toEqual([
      { kind: 'changing', text: 'Changes to Starter on Dec 1, 2026.' },
    ]);
    expect(subscriptionNotes(subscription({ cancel_at: '2026-12-01T00:00:00.000Z' }), PLANS)).toEqual([
      { kind: 'ending', text: 'Ends on Dec 1, 2026.' },
    ]);
    expect(
      subscriptionNotes(
        subscription({ ended_at: '2026-11-30T12:00:00.000Z', cancel_at: null, scheduled_change: scheduled }),
        PLANS,
      ),
    ).toEqual([{ kind: 'ended', text: 'Ended on Nov 30, 2026, 12:00 UTC.' }]);
  });

  it('tells a trialing customer when the trial ends, and nothing once it has', () => {
    const trial = { start: '2026-11-01T00:00:00.000Z', end: '2026-11-15T00:00:00.000Z' };
    expect(subscriptionNotes(subscription({ status: 'trialing', trial }), PLANS)).toEqual([
      {
        kind: 'trial',
        text: 'Free trial until Nov 15, 2026: no base fee until then. Billing starts with the first period.',
      },
    ]);
    expect(subscriptionNotes(subscription({ status: 'active', trial }), PLANS)).toEqual([]);
  });

  it('says why the payment methods page did not open', () => {
    const off = new ApiError({
      status: 503,
      code: 'not_configured',
      message: 'Stripe is not configured',
      detail: 'Stripe is not configured',
      requestId: 'req_1',
    });
    expect(portalFailure(off)).toMatch(/not set up here/);
    expect(portalFailure(new Error('network down'))).toBe('The payment methods page could not be opened: network down');
  });

  it('puts a plan trial in words, or nothing without one', () => {
    expect(trialTerms({ days: 14, usage: 'free', requires_payment_method: false })).toBe(
      '14-day free trial, usage free',
    );
    expect(trialTerms({ days: 7, usage: 'billed', requires_payment_method: true })).toBe(
      '7-day free trial, usage billed, payment method required',
    );
    expect(trialTerms({ days: 0, usage: 'free', requires_payment_method: false })).toBeNull();
  });

  it('offers change and cancel while active, reactivate while ending, keep with a scheduled change, nothing once over', () => {
    expect(subscriptionActions(subscription())).toEqual({ change: true, cancel: true, reactivate: false, keep: false });
    expect(subscriptionActions(subscription({ cancel_at: '2026-12-01T00:00:00.000Z' }))).toEqual({
      change: true,
      cancel: false,
      reactivate: true,
      keep: false,
    });
    const scheduled = { plan_id: 'starter', plan_version: 1, effective_at: '2026-12-01T00:00:00.000Z' };
    expect(subscriptionActions(subscription({ scheduled_change: scheduled })).keep).toBe(true);
    const none = { change: false, cancel: false, reactivate: false, keep: false };
    expect(subscriptionActions(subscription({ status: 'canceled', cancel_at: '2026-11-30T12:00:00.000Z' }))).toEqual(
      none,
    );
    expect(subscriptionActions(subscription({ ended_at: '2026-11-30T12:00:00.000Z' }))).toEqual(none);
  });

  it('says since when the plan runs when it changed within the period', () => {
    expect(segmentNote(subscription())).toBeNull();
    expect(
      segmentNote(
        subscription({ current_segment: { start: '2026-11-30T11:00:00.000Z', end: '2026-12-01T00:00:00.000Z' } }),
      ),
    ).toBe('Since Nov 30, 2026, 11:00 UTC');
    expect(segmentNote(subscription({ current_period: null, current_segment: null }))).toBeNull();
  });
});

describe('a plan change in words', () => {
  it('explains each timing and the one the preview has', () => {
    expect(timingHint('now', subscription(), 'Scale')).toMatch(/start of this hour/);
    expect(timingHint('period_end', subscription(), 'Scale')).toBe(
      'Scale stays until the period ends on Dec 1, 2026; the new plan starts then.',
    );
    expect(timingSummary({ effective: 'now', effective_at: '2026-11-30T11:00:00.000Z' })).toBe(
      'Applies now, from Nov 30, 2026, 11:00 UTC (the start of this hour).',
    );
    expect(timingSummary({ effective: 'period_end', effective_at: '2026-12-01T00:00:00.000Z' })).toBe(
      'Applies at the end of the period, on Dec 1, 2026.',
    );
  });

  it('confirms a change now and one at the period end', () => {
    expect(
      changeConfirmation({ to_plan: 'growth', effective: 'now', effective_at: '2026-11-30T11:00:00.000Z' }, PLANS),
    ).toBe('You are now on Growth.');
    expect(
      changeConfirmation(
        { to_plan: 'starter', effective: 'period_end', effective_at: '2026-12-01T00:00:00.000Z' },
        PLANS,
      ),
    ).toBe('Your plan changes to Starter on Dec 1, 2026.');
  });

  it('describes the parts of a change now', () => {
    expect(describePart(part(), 'now', PLANS)).toEqual({
      title: 'This period, until the change',
      plan: 'Scale, version 1',
      period: 'Nov 1, 2026, 00:00 – Nov 30, 2026, 11:00 UTC',
      proration: 'Prorated: charged for its share of the period',
      invoiced: 'Nov 30, 2026, 12:00 UTC',
    });
    const after = part({
      part: 'after',
      plan_id: 'growth',
      period: { start: '2026-11-30T11:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
      invoiced_at: '2026-12-01T01:00:00.000Z',
    });
    expect(describePart(after, 'now', PLANS).title).toBe('The rest of this period');
    // A change now at the very start of a period has one part: the whole period.
    expect(describePart({ ...after, prorated: false }, 'now', PLANS)).toMatchObject({
      title: 'This period',
      proration: 'The whole period',
    });
  });

  it('describes the parts of a change at the period end', () => {
    const before = part({
      prorated: false,
      period: { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
    });
    expect(describePart(before, 'period_end', PLANS)).toMatchObject({
      title: 'This period',
      period: 'Nov 1 – Nov 30, 2026',
      proration: 'The whole period',
    });
    const after = part({ part: 'after', plan_id: 'starter', prorated: false });
    expect(describePart(after, 'period_end', PLANS).title).toBe('The next period');
  });
});

describe('cancelling', () => {
  it('offers the end of the period first, and now with its final invoice', () => {
    const choices = cancelChoices(subscription());
    expect(choices.map((c) => c.value)).toEqual(['period_end', 'now']);
    expect(choices[0]!.hint).toBe('It ends on Dec 1, 2026; you can reactivate it until then.');
    expect(choices[1]!.title).toBe('Now — final invoice for the part of the period used');
  });

  it('confirms when it ends', () => {
    expect(cancelConfirmation({ cancel_at: '2026-12-01T00:00:00.000Z', ended_at: null }, 'period_end')).toBe(
      'Your subscription ends on Dec 1, 2026.',
    );
    expect(cancelConfirmation({ cancel_at: '2026-11-30T12:00:00.000Z', ended_at: null }, 'now')).toBe(
      'Your subscription is canceled; it ends on Nov 30, 2026, 12:00 UTC.',
    );
  });
});

describe('plan action errors', () => {
  const error = (status: number, code: string, message = 'refused') =>
    new ApiError({ status, code, message, detail: message, requestId: 'req_1' });

  it('tells a member that an administrator makes changes when self-service is off', () => {
    const off = error(403, 'self_service_disabled');
    expect(isSelfServiceOff(off)).toBe(true);
    expect(planActionMessage(off)).toBe(`${SELF_SERVICE_OFF} Ask them to change or cancel your plan.`);
    expect(isSelfServiceOff(error(403, 'forbidden'))).toBe(false);
  });

  it("shows any other error's message as the API client words it", () => {
    expect(planActionMessage(error(409, 'no_change', 'The subscription is on this plan already.'))).toBe(
      'The subscription is on this plan already.',
    );
    expect(planActionMessage(new Error('offline'))).toBe('offline');
  });
});
