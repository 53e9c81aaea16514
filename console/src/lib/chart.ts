// Data preparation for the usage chart: pure functions, unit-tested.
import type { Period, UsagePoint } from './types';

const DAY_MS = 86_400_000;

export interface DayValue {
  /** Start of the UTC day, ISO 8601. */
  start: string;
  value: number;
  /** Usage from the period start to the end of this day. */
  cumulative: number;
}

/** Whole UTC days in a half-open period (a partial last day counts). */
export function periodDays(period: Period): number {
  const start = Date.parse(period.start);
  const end = Date.parse(period.end);
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) return 0;
  return Math.ceil((end - start) / DAY_MS);
}

/**
 * One entry per day from the period start up to and including the day of
 * `until` (days without usage are 0; the API lists only days with usage).
 */
export function dailySeries(points: UsagePoint[], period: Period, until: Date): DayValue[] {
  const start = Date.parse(period.start);
  const end = Math.min(Date.parse(period.end), until.getTime() + 1);
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) return [];
  const byDay = new Map<number, number>();
  for (const point of points) {
    const day = Math.floor((Date.parse(point.start) - start) / DAY_MS);
    byDay.set(day, (byDay.get(day) ?? 0) + point.value);
  }
  const days = Math.ceil((end - start) / DAY_MS);
  const out: DayValue[] = [];
  let cumulative = 0;
  for (let day = 0; day < days; day++) {
    const value = byDay.get(day) ?? 0;
    cumulative += value;
    out.push({ start: new Date(start + day * DAY_MS).toISOString(), value, cumulative });
  }
  return out;
}

/** The step of round ticks over `range`: 1, 2, 2.5 or 5 times a power of ten, about `count` of them. */
export function niceStep(range: number, count = 4): number {
  if (!(range > 0)) return 1;
  const raw = range / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
}

/** A tick value without the float noise of repeated addition (0.30000000000000004 -> 0.3), and never -0. */
function tidy(value: number): number {
  return Number(value.toPrecision(12)) + 0;
}

/** Round axis ticks from 0 to at least `max`: 1, 2, 2.5 or 5 times a power of ten. */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const step = niceStep(max, count);
  const ticks: number[] = [];
  for (let value = 0; value < max + step * 0.999; value += step) ticks.push(tidy(value));
  return ticks;
}

/**
 * Round axis ticks through 0 from at most `low` to at least `high`, for values
 * on both sides of 0 (bars of gains above the axis, losses below). Values all
 * on one side get niceTicks' ticks (mirrored below 0).
 */
export function signedTicks(low: number, high: number, count = 4): number[] {
  const lo = Math.min(0, Number.isFinite(low) ? low : 0);
  const hi = Math.max(0, Number.isFinite(high) ? high : 0);
  if (lo === 0) return niceTicks(hi, count);
  if (hi === 0)
    return niceTicks(-lo, count)
      .map((tick) => tidy(-tick))
      .reverse();
  const step = niceStep(hi - lo, count);
  const ticks: number[] = [];
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  for (let n = first; n <= last; n++) ticks.push(tidy(n * step));
  return ticks;
}

/** A linear map from `domain` to `range` (a domain of no width maps to the range's start). */
export function linearScale(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => r0;
  const k = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * k;
}

/** A pixel coordinate to a tenth of a pixel: shorter paths, the same picture. */
export function px(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A point of a line chart: `t` along the x axis, `value` up the y axis. */
export interface ChartPoint {
  t: number;
  value: number;
}

/** An SVG path through the points ("" for fewer than two). */
export function linePath(
  points: readonly ChartPoint[],
  x: (t: number) => number,
  y: (value: number) => number,
): string {
  if (points.length < 2) return '';
  return points.map((p, index) => `${index === 0 ? 'M' : 'L'}${px(x(p.t))},${px(y(p.value))}`).join(' ');
}

/**
 * The area under a line down to `baseline` (a y pixel) as one closed SVG path
 * ("" for fewer than two points).
 */
export function areaPath(
  points: readonly ChartPoint[],
  x: (t: number) => number,
  y: (value: number) => number,
  baseline: number,
): string {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last || points.length < 2) return '';
  return `${linePath(points, x, y)} L${px(x(last.t))},${px(baseline)} L${px(x(first.t))},${px(baseline)} Z`;
}

/** `count` equal slots across `range`, each with a bar of `fill` of its width, centred. */
export interface Bands {
  /** The width of one slot. */
  slot: number;
  /** The width of a bar (at least one pixel). */
  bar: number;
  /** Where slot `index` starts. */
  start: (index: number) => number;
  /** The left edge of slot `index`'s bar. */
  barX: (index: number) => number;
  /** The middle of slot `index`. */
  center: (index: number) => number;
}

export function bands(count: number, range: [number, number], fill = 0.7): Bands {
  const [r0, r1] = range;
  const slot = count > 0 ? (r1 - r0) / count : 0;
  const bar = Math.max(1, slot * Math.min(1, Math.max(0, fill)));
  const start = (index: number) => r0 + index * slot;
  return {
    slot,
    bar,
    start,
    barX: (index) => start(index) + (slot - bar) / 2,
    center: (index) => start(index) + slot / 2,
  };
}

/**
 * The rectangle of a bar from `from` to `to` (values, either order) on the
 * scale `y`: its top and its height, never negative.
 */
export function barRect(from: number, to: number, y: (value: number) => number): { y: number; height: number } {
  const a = y(from);
  const b = y(to);
  return { y: Math.min(a, b), height: Math.abs(a - b) };
}

/**
 * Label every n-th of `count` slots on an axis `width` pixels wide so labels
 * are at least `spacing` pixels apart (and at least two fit).
 */
export function labelStride(count: number, width: number, spacing = 70): number {
  return Math.max(1, Math.ceil(count / Math.max(2, Math.floor(width / spacing))));
}
