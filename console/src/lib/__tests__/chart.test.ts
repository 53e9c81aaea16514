import { describe, expect, it } from 'vitest';
import {
  areaPath,
  bands,
  barRect,
  dailySeries,
  labelStride,
  linePath,
  linearScale,
  niceStep,
  niceTicks,
  periodDays,
  signedTicks,
} from '../chart';

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

describe('chart scales and shapes', () => {
  it('picks a round step for a range', () => {
    expect(niceStep(4346)).toBe(2000);
    expect(niceStep(100)).toBe(25);
    expect(niceStep(0)).toBe(1);
  });

  it('picks ticks through 0 for values on both sides, with one step', () => {
    expect(signedTicks(-3000, 9000)).toEqual([-5000, 0, 5000, 10000]);
    expect(signedTicks(-120, 0)).toEqual([-150, -100, -50, 0]);
    expect(signedTicks(0, 112)).toEqual(niceTicks(112));
    expect(signedTicks(0, 0)).toEqual([0, 1]);
    // Never a -0 tick, and the range is covered.
    const ticks = signedTicks(-0.3, 0.7);
    expect(ticks[0]).toBeLessThanOrEqual(-0.3);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(0.7);
    expect(ticks.some((t) => Object.is(t, -0))).toBe(false);
  });

  it('maps values linearly, a domain of no width to the start', () => {
    const y = linearScale([0, 100], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(25)).toBe(150);
    expect(linearScale([5, 5], [10, 20])(7)).toBe(10);
  });

  it('draws a line and the area under it down to a baseline', () => {
    const points = [
      { t: 0, value: 0 },
      { t: 1, value: 50 },
      { t: 2, value: 100 },
    ];
    const x = (t: number) => 10 + t * 10;
    const y = linearScale([0, 100], [100, 0]);
    expect(linePath(points, x, y)).toBe('M10,100 L20,50 L30,0');
    expect(areaPath(points, x, y, 100)).toBe('M10,100 L20,50 L30,0 L30,100 L10,100 Z');
    expect(areaPath(points.slice(0, 1), x, y, 100)).toBe('');
  });

  it('divides a range into slots with a centred bar in each', () => {
    const b = bands(4, [40, 440], 0.5);
    expect(b.slot).toBe(100);
    expect(b.bar).toBe(50);
    expect(b.start(1)).toBe(140);
    expect(b.barX(1)).toBe(165);
    expect(b.center(3)).toBe(390);
    expect(bands(0, [0, 100]).slot).toBe(0);
    // A bar is never thinner than a pixel.
    expect(bands(1000, [0, 100]).bar).toBe(1);
  });

  it('places a bar between two values whatever their order, with no negative height', () => {
    const y = linearScale([-100, 100], [200, 0]);
    expect(barRect(0, 50, y)).toEqual({ y: 50, height: 50 });
    expect(barRect(0, -50, y)).toEqual({ y: 100, height: 50 });
    expect(barRect(50, 0, y)).toEqual({ y: 50, height: 50 });
  });

  it('labels every n-th slot so labels keep apart', () => {
    expect(labelStride(12, 840)).toBe(1);
    expect(labelStride(12, 420)).toBe(2);
    expect(labelStride(12, 270)).toBe(4);
    expect(labelStride(31, 100)).toBe(16);
  });
});
