// The forecast of the current period on the Usage page: the chart's geometry
// (scales, the usage so far, the projected line and its 80 % band as SVG
// paths) and the words around it (the limit crossing, the projected usage and
// invoice). Pure functions, unit-tested; drawn by components/ForecastChart.tsx.
//
// Time on the chart is `t`, days since the period's start (fractional: "now"
// is as_of). A day's running total is plotted at the end of that day, as the
// usage chart does (lib/chart.ts).
import { linearScale, linePath, niceTicks, periodDays, px, type ChartPoint } from './chart';
import { DISPLAY_LOCALE, formatBytes, formatMoney, formatShortDate, unitName } from './format';
import type { MetricForecast, Period, UsageForecast } from './types';

const DAY_MS = 86_400_000;

// The chart's scale and line are lib/chart.ts's, shared with the other charts.
export { linearScale, linePath };

/** A point of the forecast's lines: `t` is days since the period's start. */
export type ForecastPoint = ChartPoint;

export interface BandPoint {
  t: number;
  lower: number;
  upper: number;
}

export interface ForecastSeries {
  /** The days the period spans (the chart's width). */
  totalDays: number;
  /** as_of, in days since the period's start (within the period). */
  now: number;
  /** The running total so far: from 0 at the start to the usage so far at `now`. */
  actual: ForecastPoint[];
  /** The expected running total from `now` to the period's end (empty: no projection). */
  projected: ForecastPoint[];
  /** The 80 % band around `projected`, from `now` (where it has no width) to the end. */
  band: BandPoint[];
}

/** Days from `startIso` to `iso` (fractional; 0 when either is not a date). */
export function daysSince(startIso: string, iso: string): number {
  const days = (Date.parse(iso) - Date.parse(startIso)) / DAY_MS;
  return Number.isFinite(days) ? days : 0;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * The chart's lines from the API's days (cumulative expected, lower and upper;
 * each day's own actual usage). The days to come are moved up by what the
 * API's projection adds on top of its daily model (today's usage beyond
 * today's projection), so the line ends at `projected.expected`, the figure
 * the page states; no projected value is below the usage so far.
 */
export function forecastSeries(
  metric: Pick<MetricForecast, 'days' | 'projected'>,
  period: Period,
  asOf: string,
  daysObserved: number,
): ForecastSeries {
  const totalDays = Math.max(periodDays(period), metric.days.length, 1);
  const now = clamp(daysSince(period.start, asOf), 0, totalDays);
  const actual: ForecastPoint[] = [{ t: 0, value: 0 }];
  let soFar = 0;
  metric.days.forEach((day, index) => {
    if (day.actual === null) return;
    soFar += day.actual;
    const t = Math.min(index + 1, now);
    const last = actual[actual.length - 1]!;
    if (t > last.t) actual.push({ t, value: soFar });
    else last.value = soFar;
  });
  if (actual[actual.length - 1]!.t < now) actual.push({ t: now, value: soFar });

  const lastDay = metric.days[metric.days.length - 1];
  if (!lastDay) return { totalDays, now, actual, projected: [], band: [] };
  const shift = {
    expected: Math.max(0, metric.projected.expected - lastDay.expected),
    lower: Math.max(0, metric.projected.lower - lastDay.lower),
    upper: Math.max(0, metric.projected.upper - lastDay.upper),
  };
  const projected: ForecastPoint[] = [{ t: now, value: soFar }];
  const band: BandPoint[] = [{ t: now, lower: soFar, upper: soFar }];
  metric.days.forEach((day, index) => {
    const t = index + 1;
    if (index < daysObserved || t <= now) return;
    const expected = Math.max(soFar, day.expected + shift.expected);
    const lower = clamp(day.lower + shift.lower, soFar, expected);
    const upper = Math.max(expected, day.upper + shift.upper);
    projected.push({ t, value: expected });
    band.push({ t, lower, upper });
  });
  if (projected.length < 2) return { totalDays, now, actual, projected: [], band: [] };
  return { totalDays, now, actual, projected, band };
}

/** The axis ticks: round values from 0 to at least the band's top, the usage so far and the limit. */
export function forecastTicks(series: ForecastSeries, limit: number): number[] {
  const peak = Math.max(
    limit,
    1,
    ...series.actual.map((p) => p.value),
    ...series.projected.map((p) => p.value),
    ...series.band.map((p) => p.upper),
  );
  return niceTicks(peak);
}

/**
 * The band as one closed SVG path: along its upper edge forwards, back along
 * its lower edge ("" for fewer than two points).
 */
export function bandPath(band: readonly BandPoint[], x: (t: number) => number, y: (value: number) => number): string {
  if (band.length < 2) return '';
  const upper = band.map((p) => `${px(x(p.t))},${px(y(p.upper))}`);
  const lower = [...band].reverse().map((p) => `${px(x(p.t))},${px(y(p.lower))}`);
  return `M${upper.join(' L')} L${lower.join(' L')} Z`;
}

/**
 * Where a line first reaches `limit` (t, interpolated between its points), or
 * null: no limit (0), never reached, or reached from its first point.
 */
export function crossingAt(points: readonly ForecastPoint[], limit: number): number | null {
  if (!(limit > 0)) return null;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (a.value < limit && b.value >= limit) {
      return a.t + ((limit - a.value) / (b.value - a.value)) * (b.t - a.t);
    }
  }
  return null;
}

/** The usage so far and the projection as one line (for finding where it crosses the limit). */
export function wholeLine(series: ForecastSeries): ForecastPoint[] {
  return [...series.actual, ...series.projected.slice(1)];
}

/** The limit and the projection in words: when the limit is (or was) reached, if at all. */
export function crossingText(
  metric: Pick<MetricForecast, 'limit' | 'usage_so_far' | 'limit_crossed_at' | 'basis_days'>,
): string {
  if (!(metric.limit > 0)) return 'No units are included in the plan: all usage is charged';
  if (metric.usage_so_far >= metric.limit) {
    return metric.limit_crossed_at
      ? `Reached the limit on ${formatShortDate(metric.limit_crossed_at)}`
      : 'Already over the limit';
  }
  if (metric.limit_crossed_at) return `Projected to reach the limit on ${formatShortDate(metric.limit_crossed_at)}`;
  return 'Not projected to reach the limit this period';
}

const compactFormats = new Map<string, Intl.NumberFormat>();

/**
 * "8.2M": at most `digits` decimals, or exactly that many with `fixed` (so
 * the numbers of a range line up: "8.19M–8.20M"); numbers under 1,000 are
 * whole. Bytes in decimal units ("410.5 GB").
 */
export function formatCompact(value: number, unit: string, digits = 1, fixed = false): string {
  if (unit === 'byte') return formatBytes(value, digits);
  const places = Math.abs(value) < 1000 ? 0 : digits;
  const key = `${places}/${fixed}`;
  let format = compactFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(DISPLAY_LOCALE, {
      notation: 'compact',
      maximumFractionDigits: places,
      minimumFractionDigits: fixed ? places : 0,
    });
    compactFormats.set(key, format);
  }
  return format.format(value);
}

/** A compact quantity with its unit: "8.2M impressions", "410.5 GB". */
export function formatCompactQuantity(value: number, unit: string, digits = 1, fixed = false): string {
  const number = formatCompact(value, unit, digits, fixed);
  return unit === 'byte' ? number : `${number} ${unitName(unit, value)}`;
}

/**
 * The fewest decimals (1 to 3) at which a range's ends read differently
 * ("8.19M–8.21M" rather than "8.2M–8.2M"); 1 for a range of no width.
 */
export function rangeDigits(lower: number, upper: number, unit: string): number {
  if (lower === upper) return 1;
  for (let digits = 1; digits < 3; digits++) {
    if (formatCompact(lower, unit, digits) !== formatCompact(upper, unit, digits)) return digits;
  }
  return 3;
}

/**
 * "8.2M impressions (850K–20.8M)", "8.20M impressions (8.19M–8.21M)": as
 * many decimals as tell the range's ends apart (beyond one, the three numbers
 * show them all); without the range when it has no width (a peak, the period's end).
 */
export function formatProjection(projected: MetricForecast['projected'], unit: string): string {
  if (projected.lower === projected.upper) return formatCompactQuantity(projected.expected, unit);
  const digits = rangeDigits(projected.lower, projected.upper, unit);
  // One decimal reads as it comes ("850K–20.8M"); more are there to tell the ends apart, so all three show them.
  const fixed = digits > 1;
  const expected = formatCompactQuantity(projected.expected, unit, digits, fixed);
  return `${expected} (${formatCompact(projected.lower, unit, digits, fixed)}–${formatCompact(projected.upper, unit, digits, fixed)})`;
}

/** "Projected at period end: 8.2M impressions (8.19M–8.21M)". */
export function projectionText(metric: Pick<MetricForecast, 'projected' | 'unit'>): string {
  return `Projected at period end: ${formatProjection(metric.projected, metric.unit)}`;
}

/** "≈ $1,234.56 (between $1,200.00 and $1,260.00), before tax". */
export function invoiceText(invoice: UsageForecast['invoice']): string {
  const expected = formatMoney(invoice.expected);
  if (invoice.lower.minor === invoice.upper.minor) return `≈ ${expected}, before tax`;
  return `≈ ${expected} (between ${formatMoney(invoice.lower)} and ${formatMoney(invoice.upper)}), before tax`;
}

/**
 * What to know before reading a metric's forecast: nothing to go on yet, a
 * metric that is not a running total, or a wide band early in the period.
 */
export function forecastNotes(
  forecast: Pick<UsageForecast, 'days_observed'>,
  metric: Pick<MetricForecast, 'basis_days' | 'model' | 'name'>,
): string[] {
  if (metric.basis_days === 0) {
    return [`No forecast for ${metric.name.toLowerCase()} yet: it needs some usage first.`];
  }
  if (metric.model === 'current') {
    return [
      `${metric.name} is a peak or latest value, not a running total: it is projected at its value so far, with no chart.`,
    ];
  }
  if (forecast.days_observed < 3) {
    const days = forecast.days_observed;
    const known =
      days === 0
        ? 'No day of this period is complete yet'
        : `Only ${days} day${days === 1 ? '' : 's'} of this period ${days === 1 ? 'is' : 'are'} complete`;
    return [`${known}, so the range is wide: little is known yet. It narrows as usage comes in.`];
  }
  return [];
}

/** Whether the chart has anything to draw beyond the usage so far. */
export function hasProjection(series: ForecastSeries): boolean {
  return series.projected.length >= 2;
}
