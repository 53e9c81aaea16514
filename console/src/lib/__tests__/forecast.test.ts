import { describe, expect, it } from 'vitest';
import {
  bandPath,
  crossingAt,
  crossingText,
  daysSince,
  forecastNotes,
  forecastSeries,
  forecastTicks,
  formatCompactQuantity,
  formatProjection,
  hasProjection,
  invoiceText,
  linePath,
  linearScale,
  projectionText,
  rangeDigits,
  wholeLine,
} from '../forecast';
import type { ForecastDay, MetricForecast } from '../types';

// A 5-day period; as_of is noon on day 3 (index 2): days 0 and 1 complete, day 2 partial.
const period = { start: '2026-12-01T00:00:00.000Z', end: '2026-12-06T00:00:00.000Z' };
const asOf = '2026-12-03T12:00:00.000Z';

function day(date: string, actual: number | null, expected: number, lower = expected, upper = expected): ForecastDay {
  return { date, actual, expected, lower, upper };
}

const days: ForecastDay[] = [
  day('2026-12-01', 10, 10),
  day('2026-12-02', 20, 30),
  day('2026-12-03', 5, 40, 38, 42),
  day('2026-12-04', null, 50, 44, 56),
  day('2026-12-05', null, 60, 50, 70),
];

const metric: MetricForecast = {
  metric: 'impressions',
  name: 'Ad impressions',
  unit: 'impression',
  model: 'trend_weekly',
  usage_so_far: 35,
  limit: 55,
  projected: { expected: 60, lower: 50, upper: 70 },
  projected_overage_units: 5,
  limit_crossed_at: '2026-12-05T00:00:00.000Z',
  basis_days: 30,
  days,
};

describe('forecast series', () => {
  it('measures time in days from the period start', () => {
    expect(daysSince(period.start, asOf)).toBe(2.5);
    expect(daysSince(period.start, 'not a date')).toBe(0);
  });

  it('draws the running total to now, then the projection and its band from there to the end', () => {
    const series = forecastSeries(metric, period, asOf, 2);
    expect(series.totalDays).toBe(5);
    expect(series.now).toBe(2.5);
    // Each complete day at its end; today's usage so far at now.
    expect(series.actual).toEqual([
      { t: 0, value: 0 },
      { t: 1, value: 10 },
      { t: 2, value: 30 },
      { t: 2.5, value: 35 },
    ]);
    expect(series.projected).toEqual([
      { t: 2.5, value: 35 },
      { t: 3, value: 40 },
      { t: 4, value: 50 },
      { t: 5, value: 60 },
    ]);
    // The band starts with no width at the usage so far; its lower end never goes below it.
    expect(series.band).toEqual([
      { t: 2.5, lower: 35, upper: 35 },
      { t: 3, lower: 38, upper: 42 },
      { t: 4, lower: 44, upper: 56 },
      { t: 5, lower: 50, upper: 70 },
    ]);
    expect(hasProjection(series)).toBe(true);
  });

  it("moves the days to come up by today's usage beyond the daily model, so the line ends at the stated figure", () => {
    // Today already has 25 (total 55), more than the model's 40 for the day's end.
    const busy = {
      days: days.map((d, i) => (i === 2 ? { ...d, actual: 25 } : d)),
      projected: { expected: 75, lower: 65, upper: 85 },
    };
    const series = forecastSeries(busy, period, asOf, 2);
    expect(series.actual.at(-1)).toEqual({ t: 2.5, value: 55 });
    expect(series.projected.map((p) => p.value)).toEqual([55, 55, 65, 75]);
    expect(series.band.at(-1)).toEqual({ t: 5, lower: 65, upper: 85 });
    // Never below the usage so far.
    for (const p of series.band) expect(p.lower).toBeGreaterThanOrEqual(55);
  });

  it('extends the running total flat to now when today has no usage yet (actual null)', () => {
    const quiet = { days: days.map((d, i) => (i === 2 ? { ...d, actual: null } : d)), projected: metric.projected };
    const series = forecastSeries(quiet, period, asOf, 2);
    expect(series.actual.at(-1)).toEqual({ t: 2.5, value: 30 });
    expect(series.projected[0]).toEqual({ t: 2.5, value: 30 });
  });

  it('has no projection without days (a peak metric, or nothing known) or after the last day', () => {
    const none = forecastSeries({ days: [], projected: { expected: 7, lower: 7, upper: 7 } }, period, asOf, 2);
    expect(none.projected).toEqual([]);
    expect(none.band).toEqual([]);
    expect(hasProjection(none)).toBe(false);
    expect(none.actual).toEqual([
      { t: 0, value: 0 },
      { t: 2.5, value: 0 },
    ]);
    const late = forecastSeries(metric, period, '2026-12-05T23:00:00.000Z', 4);
    expect(late.projected.map((p) => p.t)).toEqual([4 + 23 / 24, 5]);
    const over = forecastSeries(metric, period, '2026-12-09T00:00:00.000Z', 5);
    expect(over.now).toBe(5);
    expect(hasProjection(over)).toBe(false);
  });
});

describe('forecast chart geometry', () => {
  it('maps values linearly, and a domain of no width to the range start', () => {
    const x = linearScale([0, 30], [52, 652]);
    expect(x(0)).toBe(52);
    expect(x(15)).toBe(352);
    expect(x(30)).toBe(652);
    const y = linearScale([0, 100], [220, 20]);
    expect(y(0)).toBe(220);
    expect(y(100)).toBe(20);
    expect(y(25)).toBe(170);
    expect(linearScale([5, 5], [1, 9])(123)).toBe(1);
  });

  it('scales the value axis to the top of the band, the usage and the limit', () => {
    const series = forecastSeries(metric, period, asOf, 2);
    expect(forecastTicks(series, 55)).toEqual([0, 20, 40, 60, 80]);
    expect(forecastTicks(series, 200)).toEqual([0, 50, 100, 150, 200]);
    const empty = forecastSeries({ days: [], projected: { expected: 0, lower: 0, upper: 0 } }, period, asOf, 2);
    expect(forecastTicks(empty, 0)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('draws lines as SVG paths, to a tenth of a pixel', () => {
    const x = (t: number) => t * 10;
    const y = (v: number) => 100 - v;
    expect(
      linePath(
        [
          { t: 0, value: 0 },
          { t: 1.23456, value: 10 },
        ],
        x,
        y,
      ),
    ).toBe('M0,100 L12.3,90');
    expect(linePath([{ t: 0, value: 0 }], x, y)).toBe('');
  });

  it('draws the band as one closed shape: along the upper edge, back along the lower one', () => {
    const x = (t: number) => t * 10;
    const y = (v: number) => 100 - v;
    const path = bandPath(
      [
        { t: 2.5, lower: 35, upper: 35 },
        { t: 3, lower: 38, upper: 42 },
        { t: 5, lower: 50, upper: 70 },
      ],
      x,
      y,
    );
    expect(path).toBe('M25,65 L30,58 L50,30 L50,50 L30,62 L25,65 Z');
    expect(bandPath([{ t: 0, lower: 0, upper: 0 }], x, y)).toBe('');
  });

  it('finds where the line reaches the limit, between two points', () => {
    const series = forecastSeries(metric, period, asOf, 2);
    // 50 at day 4, 60 at day 5: 55 halfway.
    expect(crossingAt(wholeLine(series), 55)).toBe(4.5);
    // Already reached during day 2 (10 -> 30): 20 at t 1.5.
    expect(crossingAt(wholeLine(series), 20)).toBe(1.5);
    expect(crossingAt(wholeLine(series), 61)).toBeNull();
    expect(crossingAt(wholeLine(series), 0)).toBeNull();
  });
});

describe('forecast words', () => {
  it('says when the limit is projected to be reached, or that it is not', () => {
    expect(crossingText(metric)).toBe('Projected to reach the limit on Dec 5');
    expect(crossingText({ ...metric, limit_crossed_at: null })).toBe('Not projected to reach the limit this period');
    expect(crossingText({ ...metric, usage_so_far: 60, limit_crossed_at: '2026-12-02T00:00:00.000Z' })).toBe(
      'Reached the limit on Dec 2',
    );
    expect(crossingText({ ...metric, limit: 0, limit_crossed_at: null })).toMatch(/^No units are included/);
  });

  it('formats the projected usage compactly, with as many decimals as tell the range ends apart', () => {
    expect(formatCompactQuantity(8_203_628, 'impression')).toBe('8.2M impressions');
    expect(formatCompactQuantity(1, 'call')).toBe('1 call');
    expect(formatCompactQuantity(950, 'call')).toBe('950 calls');
    expect(formatCompactQuantity(410_489_843_964, 'byte')).toBe('410.5 GB');
    expect(rangeDigits(8_100_000, 8_300_000, 'impression')).toBe(1);
    expect(rangeDigits(8_194_960, 8_212_296, 'impression')).toBe(2);
    expect(rangeDigits(8_200_100, 8_200_400, 'impression')).toBe(3);
    expect(rangeDigits(5, 5, 'impression')).toBe(1);
    expect(formatProjection({ expected: 8_200_000, lower: 8_100_000, upper: 8_300_000 }, 'impression')).toBe(
      '8.2M impressions (8.1M–8.3M)',
    );
    expect(formatProjection({ expected: 8_203_628, lower: 8_194_960, upper: 8_212_296 }, 'impression')).toBe(
      '8.20M impressions (8.19M–8.21M)',
    );
    // The same decimals throughout, so the ends read alike.
    expect(formatProjection({ expected: 8_197_000, lower: 8_194_960, upper: 8_204_296 }, 'impression')).toBe(
      '8.20M impressions (8.19M–8.20M)',
    );
    expect(formatProjection({ expected: 10_800_000, lower: 850_000, upper: 20_800_000 }, 'impression')).toBe(
      '10.8M impressions (850K–20.8M)',
    );
    // Under 1,000 the numbers are whole.
    expect(formatProjection({ expected: 420, lower: 300, upper: 1_250 }, 'call')).toBe('420 calls (300–1.3K)');
    expect(
      formatProjection({ expected: 410_489_843_964, lower: 409_874_116_544, upper: 411_105_571_383 }, 'byte'),
    ).toBe('410.5 GB (409.9 GB–411.1 GB)');
    // A range of no width (a peak metric, the period's last moment): the figure alone.
    expect(formatProjection({ expected: 3_000, lower: 3_000, upper: 3_000 }, 'seat')).toBe('3K seats');
    expect(projectionText({ unit: 'impression', projected: { expected: 8.2e6, lower: 8.1e6, upper: 8.3e6 } })).toBe(
      'Projected at period end: 8.2M impressions (8.1M–8.3M)',
    );
  });

  it('states the projected invoice as money, with its range, before tax', () => {
    const usd = (minor: number) => ({ minor, currency: 'USD' });
    expect(
      invoiceText({
        expected: usd(123456),
        lower: usd(120000),
        upper: usd(126000),
        expected_usage_charges: usd(93556),
        tax_included: false,
      }),
    ).toBe('≈ $1,234.56 (between $1,200.00 and $1,260.00), before tax');
    expect(
      invoiceText({
        expected: usd(29900),
        lower: usd(29900),
        upper: usd(29900),
        expected_usage_charges: usd(0),
        tax_included: false,
      }),
    ).toBe('≈ $299.00, before tax');
    const yen = (minor: number) => ({ minor, currency: 'JPY' });
    expect(
      invoiceText({
        expected: yen(5000),
        lower: yen(4000),
        upper: yen(6000),
        expected_usage_charges: yen(1000),
        tax_included: false,
      }),
    ).toBe('≈ ¥5,000 (between ¥4,000 and ¥6,000), before tax');
  });

  it('says the forecast needs usage first, and why the band is wide early in the period', () => {
    const m = { name: 'Ad impressions', model: 'trend_weekly' as const, basis_days: 10 };
    expect(forecastNotes({ days_observed: 10 }, m)).toEqual([]);
    expect(forecastNotes({ days_observed: 10 }, { ...m, basis_days: 0 })[0]).toBe(
      'No forecast for ad impressions yet: it needs some usage first.',
    );
    expect(forecastNotes({ days_observed: 0 }, m)[0]).toMatch(
      /^No day of this period is complete yet, so the range is wide/,
    );
    expect(forecastNotes({ days_observed: 1 }, m)[0]).toMatch(
      /^Only 1 day of this period is complete, so the range is wide/,
    );
    expect(forecastNotes({ days_observed: 2 }, m)[0]).toMatch(/^Only 2 days of this period are complete/);
    expect(forecastNotes({ days_observed: 3 }, m)).toEqual([]);
    expect(forecastNotes({ days_observed: 10 }, { ...m, model: 'current' })[0]).toMatch(
      /projected at its value so far/,
    );
  });
});
