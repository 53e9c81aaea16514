import { describe, expect, it } from 'vitest';
import { dailySeries, niceTicks, periodDays } from '../chart';

const period = { start: '2025-01-01T00:00:00.000Z', end: '2025-02-01T00:00:00.000Z' };

describe('usage chart data', () => {
  it('counts the days of a period', () => {
    expect(periodDays(period)).toBe(31);
    expect(periodDays({ start: '2025-02-01T00:00:00Z', end: '2025-03-01T00:00:00Z' })).toBe(28);
    expect(periodDays({ start: 'x', end: 'y' })).toBe(0);
  });

  it('fills days without usage with zero and sums a running total up to today', () => {
    const days = dailySeries(
      [
        { start: '2025-01-01T00:00:00.000Z', value: 5 },
        { start: '2025-01-03T00:00:00.000Z', value: 7 },
      ],
      period,
      new Date('2025-01-04T10:00:00Z'),
    );
    expect(days.map((d) => d.value)).toEqual([5, 0, 7, 0]);
    expect(days.map((d) => d.cumulative)).toEqual([5, 5, 12, 12]);
    expect(days[3]!.start).toBe('2025-01-04T00:00:00.000Z');
  });

  it('stops at the end of the period', () => {
    expect(dailySeries([], period, new Date('2025-03-10T00:00:00Z'))).toHaveLength(31);
  });

  it('picks round axis ticks that reach the maximum', () => {
    expect(niceTicks(10_000_000)).toEqual([0, 2_500_000, 5_000_000, 7_500_000, 10_000_000]);
    expect(niceTicks(112)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(0)).toEqual([0, 1]);
    const ticks = niceTicks(5_640_000_000_000);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(5_640_000_000_000);
  });
});
