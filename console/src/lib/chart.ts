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

/** Round axis ticks from 0 to at least `max`: 1, 2, 2.5 or 5 times a power of ten. */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const ticks: number[] = [];
  for (let value = 0; value < max + step * 0.999; value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}
