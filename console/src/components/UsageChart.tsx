// Daily usage for the current period as a hand-drawn SVG chart, with the
// plan's limit drawn in: cumulative usage against the limit, or each day's
// usage against an even daily pace (the limit spread over the period).
import { useId, useRef, useState } from 'react';
import { dailySeries, labelStride, niceTicks, periodDays, type DayValue } from '../lib/chart';
import { formatDate, formatQuantity, formatQuantityShort, formatShortDate, quantityColumn } from '../lib/format';
import type { MetricUsage, Period, UsagePoint } from '../lib/types';
import { useElementWidth } from '../lib/useElementWidth';
import { TableScroll } from './TableScroll';

type Mode = 'cumulative' | 'daily';

const PAD = { top: 20, right: 12, bottom: 32, left: 52 };

export function UsageChart({
  metric,
  points,
  period,
  now = new Date(),
}: {
  metric: MetricUsage;
  points: UsagePoint[];
  period: Period;
  now?: Date;
}) {
  const [mode, setMode] = useState<Mode>('cumulative');
  const titleId = useId();
  const frameRef = useRef<HTMLDivElement>(null);
  // Drawn at the size it is shown, so text stays readable on a phone.
  const WIDTH = Math.max(280, useElementWidth(frameRef, 720));
  const HEIGHT = WIDTH < 520 ? 210 : 260;
  const days = dailySeries(points, period, now);
  const totalDays = Math.max(periodDays(period), days.length, 1);
  const pace = metric.limit / totalDays;
  const reference = mode === 'cumulative' ? metric.limit : pace;
  const peak = Math.max(reference, ...days.map((d) => (mode === 'cumulative' ? d.cumulative : d.value)), 1);
  const ticks = niceTicks(peak);
  const top = ticks[ticks.length - 1] ?? peak;

  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / totalDays;
  const x = (dayIndex: number) => PAD.left + dayIndex * slot;
  const y = (value: number) => PAD.top + plotH - (value / top) * plotH;

  const summary =
    mode === 'cumulative'
      ? `Cumulative ${metric.name.toLowerCase()} this period: ${formatQuantity(days.at(-1)?.cumulative ?? 0, metric.unit)} of a ${formatQuantity(metric.limit, metric.unit)} limit.`
      : `Daily ${metric.name.toLowerCase()} this period against an even pace of ${formatQuantity(Math.round(pace), metric.unit)} a day.`;

  const labelEvery = labelStride(totalDays, plotW);
  // The daily figures: one unit and one number of decimals per column, so they line up.
  const dayFigure = quantityColumn(
    days.map((day) => day.value),
    metric.unit,
  );
  const totalFigure = quantityColumn(
    days.map((day) => day.cumulative),
    metric.unit,
  );

  return (
    <figure className="chart" aria-labelledby={titleId}>
      <div className="chart-head">
        <figcaption id={titleId} className="chart-title">
          {metric.name}
          <span className="muted"> — {mode === 'cumulative' ? 'running total' : 'per day'}</span>
        </figcaption>
        <div className="segmented" role="group" aria-label="Chart view">
          <button type="button" aria-pressed={mode === 'cumulative'} onClick={() => setMode('cumulative')}>
            Running total
          </button>
          <button type="button" aria-pressed={mode === 'daily'} onClick={() => setMode('daily')}>
            Per day
          </button>
        </div>
      </div>
      <div ref={frameRef} className="chart-frame">
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          width={WIDTH}
          height={HEIGHT}
          className="chart-svg"
          role="img"
          aria-label={summary}
          data-mode={mode}
        >
          {ticks.map((tick) => (
            <g key={tick} className="chart-grid">
              <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
              <text x={PAD.left - 8} y={y(tick)} dy="0.32em" textAnchor="end">
                {formatQuantityShort(tick, metric.unit)}
              </text>
            </g>
          ))}
          {Array.from({ length: totalDays }, (_, index) => index)
            .filter((index) => index % labelEvery === 0)
            .map((index) => (
              <text key={index} className="chart-axis" x={x(index) + slot / 2} y={HEIGHT - 10} textAnchor="middle">
                {formatShortDate(new Date(Date.parse(period.start) + index * 86_400_000).toISOString())}
              </text>
            ))}
          {mode === 'daily' ? (
            <Bars days={days} x={x} y={y} slot={slot} unit={metric.unit} />
          ) : (
            <Area days={days} x={x} y={y} slot={slot} unit={metric.unit} baseline={y(0)} />
          )}
          <g className="chart-limit">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(reference)} y2={y(reference)} />
          </g>
        </svg>
      </div>
      {/* The key sits under the plot, not in it: a label drawn on the line
          would cover the line's last points or the bars. */}
      <ul className="chart-legend" aria-hidden="true">
        <li>
          <span className={`legend-swatch legend-${mode === 'daily' ? 'bars' : 'area'}`} />
          {mode === 'daily' ? 'Usage per day' : 'Running total'}
        </li>
        <li data-testid="chart-limit">
          <span className="legend-swatch legend-limit" />
          {mode === 'cumulative'
            ? `Limit ${formatQuantityShort(metric.limit, metric.unit)}`
            : `Even pace ${formatQuantityShort(pace, metric.unit)}/day`}
        </li>
      </ul>
      <details className="chart-table">
        <summary>Daily figures</summary>
        <TableScroll label="Daily figures">
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col" className="num">
                  Usage
                </th>
                <th scope="col" className="num">
                  Running total
                </th>
              </tr>
            </thead>
            <tbody>
              {days.map((day) => (
                <tr key={day.start}>
                  <td>{formatDate(day.start)}</td>
                  <td className="num">{dayFigure(day.value)}</td>
                  <td className="num">{totalFigure(day.cumulative)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </details>
    </figure>
  );
}

interface SeriesProps {
  days: DayValue[];
  x: (index: number) => number;
  y: (value: number) => number;
  slot: number;
  unit: string;
}

function Bars({ days, x, y, slot, unit }: SeriesProps) {
  const width = Math.max(1, slot * 0.7);
  return (
    <g className="chart-bars">
      {days.map((day, index) => (
        <rect
          key={day.start}
          x={x(index) + (slot - width) / 2}
          y={y(day.value)}
          width={width}
          height={Math.max(0, y(0) - y(day.value))}
          rx={2}
        >
          <title>{`${formatDate(day.start)}: ${formatQuantity(day.value, unit)}`}</title>
        </rect>
      ))}
    </g>
  );
}

function Area({ days, x, y, slot, unit, baseline }: SeriesProps & { baseline: number }) {
  if (days.length === 0) return null;
  // Each day's running total is plotted at the end of that day.
  const coords = days.map((day, index) => [x(index) + slot, y(day.cumulative)] as const);
  const line = [`M${x(0)},${baseline}`, ...coords.map(([cx, cy]) => `L${cx},${cy}`)].join(' ');
  const last = coords[coords.length - 1]!;
  const area = `${line} L${last[0]},${baseline} Z`;
  return (
    <g className="chart-area">
      <path className="chart-area-fill" d={area} />
      <path className="chart-area-line" d={line} />
      {days.map((day, index) => (
        <circle key={day.start} cx={coords[index]![0]} cy={coords[index]![1]} r={slot > 14 ? 3 : 2}>
          <title>{`${formatDate(day.start)}: ${formatQuantity(day.value, unit)} (total ${formatQuantity(day.cumulative, unit)})`}</title>
        </circle>
      ))}
    </g>
  );
}
