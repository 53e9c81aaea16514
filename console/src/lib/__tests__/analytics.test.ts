import { describe, expect, it } from 'vitest';
import {
  addDays,
  agingBuckets,
  agingSummary,
  bucketLabel,
  currenciesOf,
  exportFileName,
  exportRangeProblem,
  exportUrl,
  formatCountChange,
  formatMoneyChange,
  formatMoneyShort,
  formatNrr,
  hasMovements,
  hasRevenue,
  lastMonthRange,
  monthLabels,
  monthRange,
  moneyTicks,
  movementParts,
  movementsSummary,
  movementTotals,
  mrrSummary,
  ofCurrency,
  OTHER_PLANS,
  parseTopBy,
  pastDue,
  pickCurrency,
  planLabel,
  planParts,
  planSeries,
  planTotals,
  revenueSummary,
  shortMonth,
  sincePreviousMonth,
  stackExtent,
  stackSigned,
} from '../analytics';
import type { AnalyticsMonth, MrrCurrency, ReceivablesCurrency, RevenueMonth } from '../types';

const usd = (minor: number) => ({ minor, currency: 'USD', formatted: (minor / 100).toFixed(2) });

function month(name: string, mrr: number, moves: Partial<Record<string, number>> = {}, paying = 0): AnalyticsMonth {
  return {
    month: name,
    mrr: usd(mrr),
    arr: usd(mrr * 12),
    paying_customers: paying,
    arpu: usd(paying ? Math.round(mrr / paying) : 0),
    new: usd(moves.new ?? 0),
    expansion: usd(moves.expansion ?? 0),
    contraction: usd(moves.contraction ?? 0),
    churned: usd(moves.churned ?? 0),
    reactivation: usd(moves.reactivation ?? 0),
    net_revenue_retention: null,
    net_revenue_retention_12m: null,
  };
}

// As billingd answers for the demo data: nothing before August, then three and four customers.
const months = [
  month('2026-07', 0),
  month('2026-08', 134700, { new: 134700 }, 3),
  month('2026-09', 434600, { new: 299900 }, 4),
  month('2026-10', 434600, {}, 4),
  month('2026-11', 404600, { expansion: 20000, contraction: 10000, churned: 40000 }, 3),
];
const mrrCurrency: MrrCurrency = { ...months[4]!, currency: 'USD', months };

function revenueMonth(name: string, plans: Record<string, number>): RevenueMonth {
  const total = Object.values(plans).reduce((a, b) => a + b, 0);
  return {
    month: name,
    total: usd(total),
    base_fees: usd(total),
    usage: usd(0),
    other: usd(0),
    by_metric: [],
    by_plan: Object.entries(plans).map(([plan_id, minor]) => ({ plan_id, amount: usd(minor) })),
  };
}

const revenueMonths = [
  revenueMonth('2026-08', { growth: 117676, scale: 99900, starter: 4900 }),
  revenueMonth('2026-09', { enterprise: 861776, growth: 29900, scale: 99900, starter: 14796 }),
  revenueMonth('2026-10', {}),
];

const aging: ReceivablesCurrency = {
  currency: 'USD',
  outstanding: usd(985324),
  invoices: 4,
  buckets: [
    { bucket: 'current', invoices: 3, amount: usd(885324) },
    { bucket: '31_60', invoices: 1, amount: usd(100000) },
  ],
};

describe('currencies', () => {
  it('lists each currency once, in the order the answers give them, and never mixes them', () => {
    expect(
      currenciesOf([{ currency: 'USD' }, { currency: 'EUR' }], undefined, [{ currency: 'GBP' }, { currency: 'USD' }]),
    ).toEqual(['USD', 'EUR', 'GBP']);
    expect(pickCurrency(['USD', 'EUR'], 'EUR')).toBe('EUR');
    expect(pickCurrency(['USD', 'EUR'], 'JPY')).toBe('USD');
    expect(pickCurrency([], null)).toBeNull();
    expect(
      ofCurrency(
        [
          { currency: 'USD', n: 1 },
          { currency: 'EUR', n: 2 },
        ],
        'EUR',
      )?.n,
    ).toBe(2);
    expect(ofCurrency([{ currency: 'USD' }], null)).toBeUndefined();
    expect(parseTopBy('usage')).toBe('usage');
    expect(parseTopBy('anything')).toBe('revenue');
    expect(parseTopBy(null)).toBe('revenue');
  });
});

describe('months', () => {
  it('names months short, with the year where it helps', () => {
    expect(shortMonth('2026-08')).toBe('Aug');
    expect(shortMonth('2026-08', true)).toBe('Aug 2026');
    expect(shortMonth('not a month')).toBe('not a month');
    expect(monthRange(months)).toBe('Jul 2026 to Nov 2026');
    expect(monthRange([months[0]!])).toBe('Jul 2026');
  });

  it('labels every n-th month counting back from the current one, the year where it changes', () => {
    const names = ['2025-12', '2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06'];
    expect(monthLabels(names, 1).map((l) => l.text)).toEqual([
      'Dec 2025',
      'Jan 2026',
      'Feb',
      'Mar',
      'Apr',
      'May',
      'Jun',
    ]);
    expect(monthLabels(names, 3)).toEqual([
      { index: 0, text: 'Dec 2025' },
      { index: 3, text: 'Mar 2026' },
      { index: 6, text: 'Jun' },
    ]);
    expect(monthLabels(names, 4).map((l) => l.index)).toEqual([2, 6]);
  });
});

describe('money on charts', () => {
  it('puts round amounts on an axis, in minor units', () => {
    expect(moneyTicks(0, 434600, 'USD')).toEqual([0, 200000, 400000, 600000]);
    expect(moneyTicks(-50000, 434600, 'USD')).toEqual([-200000, 0, 200000, 400000, 600000]);
    // Yen have no minor units: the ticks are whole yen.
    expect(moneyTicks(0, 9000, 'JPY')).toEqual([0, 2500, 5000, 7500, 10000]);
    expect(moneyTicks(0, 0, 'USD')).toEqual([0, 100]);
  });

  it('writes amounts short for axes and bar labels', () => {
    expect(formatMoneyShort(400000, 'USD')).toBe('$4K');
    expect(formatMoneyShort(434600, 'USD')).toBe('$4.3K');
    expect(formatMoneyShort(-200000, 'USD')).toBe('−$2K');
    expect(formatMoneyShort(50000, 'USD')).toBe('$500');
    expect(formatMoneyShort(25, 'USD')).toBe('$0.25');
    expect(formatMoneyShort(0, 'USD')).toBe('$0');
    expect(formatMoneyShort(123456789, 'USD')).toBe('$1.2M');
    expect(formatMoneyShort(5000, 'JPY')).toBe('¥5K');
  });

  it('writes changes with their sign, and NRR as a percentage', () => {
    expect(formatMoneyChange(usd(299900))).toBe('+$2,999.00');
    expect(formatMoneyChange(usd(-1200))).toBe('−$12.00');
    expect(formatMoneyChange(usd(0))).toBe('$0.00');
    expect(formatCountChange(1)).toBe('+1');
    expect(formatCountChange(-2)).toBe('−2');
    expect(formatCountChange(0)).toBe('0');
    expect(formatNrr('101.5')).toBe('101.5%');
    expect(formatNrr(null)).toBe('—');
    expect(formatNrr(undefined)).toBe('—');
    expect(formatNrr('n/a')).toBe('—');
  });
});

describe('stacked bars', () => {
  it('stacks gains up from 0 and losses down from 0, leaving out zeros', () => {
    expect(
      stackSigned([
        { key: 'a', value: 30 },
        { key: 'b', value: -10 },
        { key: 'c', value: 0 },
        { key: 'd', value: 20 },
        { key: 'e', value: -5 },
      ]),
    ).toEqual([
      { key: 'a', value: 30, from: 0, to: 30 },
      { key: 'b', value: -10, from: 0, to: -10 },
      { key: 'd', value: 20, from: 30, to: 50 },
      { key: 'e', value: -5, from: -10, to: -15 },
    ]);
    expect(stackSigned([])).toEqual([]);
  });

  it('finds how far the bars reach either side of 0', () => {
    const stacks = [stackSigned([{ key: 'a', value: 30 }]), stackSigned([{ key: 'a', value: -12 }])];
    expect(stackExtent(stacks)).toEqual({ low: -12, high: 30 });
    expect(stackExtent([])).toEqual({ low: 0, high: 0 });
  });
});

describe('MRR', () => {
  it('puts contraction and churn below the axis', () => {
    expect(movementParts(months[4]!)).toEqual([
      { key: 'new', value: 0 },
      { key: 'expansion', value: 20000 },
      { key: 'reactivation', value: 0 },
      { key: 'contraction', value: -10000 },
      { key: 'churned', value: -40000 },
    ]);
    expect(hasMovements(months)).toBe(true);
    expect(hasMovements([months[0]!])).toBe(false);
  });

  it('sums each movement exactly over the months', () => {
    const totals = movementTotals(months, 'USD');
    expect(totals.new).toEqual({ minor: 434600, currency: 'USD' });
    expect(totals.churned).toEqual({ minor: 40000, currency: 'USD' });
    expect(movementTotals([], 'EUR').new).toEqual({ minor: 0, currency: 'EUR' });
  });

  it('compares now with the month before the current one', () => {
    expect(sincePreviousMonth(mrrCurrency)).toEqual({
      month: '2026-10',
      mrr: { minor: -30000, currency: 'USD' },
      customers: -1,
    });
    expect(sincePreviousMonth({ ...mrrCurrency, months: [months[4]!] })).toBeNull();
  });

  it('says what the charts show', () => {
    expect(mrrSummary(mrrCurrency)).toBe(
      'Monthly recurring revenue in USD, Jul 2026 to Nov 2026: $4,046.00 now, −$300.00 since October 2026; ' +
        'highest $4,346.00 in September 2026.',
    );
    expect(movementsSummary(mrrCurrency)).toBe(
      'MRR movements in USD, Jul 2026 to Nov 2026, in total: new $4,346.00, expansion $200.00, ' +
        'reactivation $0.00, contraction $100.00, churned $400.00.',
    );
  });
});

describe('revenue by plan', () => {
  it('orders plans by their revenue over the months', () => {
    expect(planTotals(revenueMonths).map((p) => [p.planId, p.total.minor])).toEqual([
      ['enterprise', 861776],
      ['scale', 199800],
      ['growth', 147576],
      ['starter', 19696],
    ]);
    expect(planSeries(revenueMonths)).toEqual(['enterprise', 'scale', 'growth', 'starter']);
  });

  it('keeps at most `max` plans apart and sums the rest as other plans', () => {
    expect(planSeries(revenueMonths, 2)).toEqual(['enterprise', 'scale', OTHER_PLANS]);
    expect(planParts(revenueMonths[0]!, ['enterprise', 'scale', OTHER_PLANS])).toEqual([
      { key: 'enterprise', value: 0 },
      { key: 'scale', value: 99900 },
      { key: OTHER_PLANS, value: 122576 },
    ]);
    // One plan more than `max` is shown itself rather than as "other".
    expect(planSeries(revenueMonths, 3)).toEqual(['enterprise', 'scale', 'growth', 'starter']);
  });

  it("names plans by the catalog's names, else readably", () => {
    const names = new Map([['growth', 'Growth']]);
    expect(planLabel('growth', names)).toBe('Growth');
    expect(planLabel('pro_annual', names)).toBe('Pro annual');
    expect(planLabel(OTHER_PLANS, names)).toBe('Other plans');
  });

  it('knows when there is nothing to draw, and says what the chart shows', () => {
    expect(hasRevenue(revenueMonths)).toBe(true);
    expect(hasRevenue([revenueMonths[2]!])).toBe(false);
    const currency = { currency: 'USD', total: usd(1228848), months: revenueMonths };
    expect(revenueSummary(currency, new Map([['enterprise', 'Enterprise']]))).toBe(
      'Revenue by plan per month in USD, Aug 2026 to Oct 2026: $12,288.48 in total; ' +
        'Enterprise $8,617.76, Scale $1,998.00, Growth $1,475.76, Starter $196.96.',
    );
  });
});

describe('receivables', () => {
  it('lists every bucket in order, the missing ones empty', () => {
    const buckets = agingBuckets(aging);
    expect(buckets.map((b) => [b.bucket, b.amount.minor])).toEqual([
      ['current', 885324],
      ['1_30', 0],
      ['31_60', 100000],
      ['61_90', 0],
      ['over_90', 0],
    ]);
    expect(pastDue(aging)).toEqual({ minor: 100000, currency: 'USD' });
    expect(bucketLabel('over_90')).toBe('Over 90 days');
    expect(bucketLabel('later_on')).toBe('later on');
  });

  it('says what the chart shows', () => {
    expect(agingSummary(aging)).toBe(
      'Receivables by days past due in USD: $9,853.24 outstanding on 4 invoices; current $8,853.24 (3 invoices), ' +
        '1–30 days $0.00 (0 invoices), 31–60 days $1,000.00 (1 invoice), 61–90 days $0.00 (0 invoices), ' +
        'over 90 days $0.00 (0 invoices).',
    );
  });
});

describe('exports', () => {
  it('links to the export with both days included (the API excludes `to`)', () => {
    const request = { kind: 'invoice_lines', from: '2026-08-01', to: '2026-10-31', format: 'jsonl' } as const;
    expect(exportUrl(request)).toBe('/api/v1/admin/exports/invoice_lines?from=2026-08-01&to=2026-11-01&format=jsonl');
    expect(exportFileName(request)).toBe('invoice_lines-2026-08-01-2026-11-01.jsonl');
  });

  it('moves dates by days across months and years', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('31/12/2026', 1)).toBe('');
  });

  it('refuses a range it cannot export, in words', () => {
    expect(exportRangeProblem('2026-10-01', '2026-10-31')).toBeNull();
    expect(exportRangeProblem('2026-10-01', '2026-10-01')).toBeNull();
    expect(exportRangeProblem('2026-10-02', '2026-10-01')).toBe('The last day is before the first.');
    expect(exportRangeProblem('', '2026-10-01')).toBe('Choose the first day.');
    expect(exportRangeProblem('2026-10-01', '')).toBe('Choose the last day.');
    expect(exportRangeProblem('', '')).toBe('Choose the first and the last day.');
  });

  it('starts with the last closed month', () => {
    expect(lastMonthRange(new Date('2026-11-30T22:00:00Z'))).toEqual({ from: '2026-10-01', to: '2026-10-31' });
    expect(lastMonthRange(new Date('2027-01-05T00:00:00Z'))).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(lastMonthRange(new Date('2028-03-01T00:00:00Z'))).toEqual({ from: '2028-02-01', to: '2028-02-29' });
  });
});
