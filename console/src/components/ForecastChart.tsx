// One metric's forecast as a hand-drawn SVG chart, in the usage chart's style
// (UsageChart.tsx): the running total so far, the projected running total to
// the period's end with its 80 % band shaded, the limit as a dashed line and
// the point where the line reaches it. The geometry is lib/forecast.ts's.
import { useId, useRef } from 'react';
import { labelStride } from '../lib/chart';
import { formatDate, formatQuantity, formatQuantityShort, formatShortDate, quantityColumn } from '../lib/format';
import {
  bandPath,
  crossingAt,
  crossingText,
  forecastSeries,
  forecastTicks,
  linearScale,
  linePath,
  wholeLine,
  type ForecastSeries,
} from '../lib/forecast';
import type { MetricForecast, UsageForecast } from '../lib/types';
import { useElementWidth } from '../lib/useElementWidth';
import { TableScroll } from './TableScroll';

const PAD = { top: 24, right: 14, bottom: 32, left: 56 };
const DAY_MS = 86_400_000;

export function ForecastChart({ forecast, metric }: { forecast: UsageForecast; metric: MetricForecast }) {
  const titleId = useId();
  const frameRef = useRef<HTMLDivElement>(null);
  // Drawn at the size it is shown, so text stays readable on a phone.
  const WIDTH = Math.max(280, useElementWidth(frameRef, 720));
  const HEIGHT = WIDTH < 520 ? 220 : 270;
  const series = forecastSeries(metric, forecast.period, forecast.as_of, forecast.days_observed);
  const ticks = forecastTicks(series, metric.limit);
  const top = ticks[ticks.length - 1] ?? 1;
  const plotW = WIDTH - PAD.left - PAD.right;
  const x = linearScale([0, series.totalDays], [PAD.left, PAD.left + plotW]);
  const y = linearScale([0, top], [HEIGHT - PAD.bottom, PAD.top]);
  const crossing = crossingAt(wholeLine(series), metric.limit);
  const labelEvery = labelStride(series.totalDays, plotW);
  const nowX = x(series.now);
  // "Today" over the now line, kept inside the plot at either edge.
  const nowAnchor = nowX > WIDTH - PAD.right - 24 ? 'end' : nowX < PAD.left + 24 ? 'start' : 'middle';

  const summary = [
    `${metric.name} this period: ${formatQuantity(metric.usage_so_far, metric.unit)} so far,`,
    `projected ${formatQuantity(metric.projected.expected, metric.unit)} at the period's end`,
    `(80% range ${formatQuantity(metric.projected.lower, metric.unit)} to ${formatQuantity(metric.projected.upper, metric.unit)}),`,
    metric.limit > 0 ? `against a limit of ${formatQuantity(metric.limit, metric.unit)}.` : 'with no units included.',
    `${crossingText(metric)}.`,
  ].join(' ');

  return (
    <figure className="forecast-chart" aria-labelledby={titleId} data-testid="forecast-chart">
      <figcaption id={titleId} className="chart-title">
        {metric.name}
        <span className="muted"> — running total and projection</span>
      </figcaption>
      <div ref={frameRef} className="chart-frame">
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          width={WIDTH}
          height={HEIGHT}
          className="chart-svg"
          role="img"
          aria-label={summary}
        >
          {ticks.map((tick) => (
            <g key={tick} className="chart-grid">
              <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
              <text x={PAD.left - 8} y={y(tick)} dy="0.32em" textAnchor="end">
                {formatQuantityShort(tick, metric.unit)}
              </text>
            </g>
          ))}
          {Array.from({ length: series.totalDays }, (_, index) => index)
            .filter((index) => index % labelEvery === 0)
            .map((index) => (
              <text key={index} className="chart-axis" x={x(index + 0.5)} y={HEIGHT - 10} textAnchor="middle">
                {formatShortDate(new Date(Date.parse(forecast.period.start) + index * DAY_MS).toISOString())}
              </text>
            ))}
          <path className="forecast-band" data-testid="forecast-band" d={bandPath(series.band, x, y)} />
          <g className="forecast-now">
            <line x1={nowX} x2={nowX} y1={PAD.top} y2={HEIGHT - PAD.bottom} />
            <text className="chart-axis" x={nowX} y={PAD.top - 8} textAnchor={nowAnchor}>
              Today
            </text>
          </g>
          {metric.limit > 0 && (
            <g className="chart-limit">
              <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(metric.limit)} y2={y(metric.limit)} />
            </g>
          )}
          <path className="forecast-expected" d={linePath(series.projected, x, y)} />
          <path className="forecast-actual" d={linePath(series.actual, x, y)} />
          {crossing !== null && (
            <circle className="forecast-crossing" cx={x(crossing)} cy={y(metric.limit)} r={5}>
              <title>{crossingText(metric)}</title>
            </circle>
          )}
        </svg>
      </div>
      <ul className="chart-legend" aria-hidden="true">
        <li>
          <span className="legend-swatch legend-actual" />
          Usage so far
        </li>
        <li>
          <span className="legend-swatch legend-expected" />
          Projected
        </li>
        <li>
          <span className="legend-swatch legend-band" />
          {Math.round(forecast.confidence * 100)}% range
        </li>
        {metric.limit > 0 && (
          <li className="legend-limit-text" data-testid="forecast-limit">
            <span className="legend-swatch legend-limit" />
            Limit {formatQuantityShort(metric.limit, metric.unit)}
          </li>
        )}
      </ul>
      <ForecastTable metric={metric} series={series} confidence={forecast.confidence} />
    </figure>
  );
}

/**
 * The chart's numbers as a table: each day's usage and the running total so
 * far, and for today and the days to come the projected running total at the
 * day's end with its range (as drawn).
 */
function ForecastTable({
  metric,
  series,
  confidence,
}: {
  metric: MetricForecast;
  series: ForecastSeries;
  confidence: number;
}) {
  const projected = new Map(series.projected.map((p) => [p.t, p.value]));
  const band = new Map(series.band.map((p) => [p.t, p]));
  const rows = [];
  let total = 0;
  for (const [index, day] of metric.days.entries()) {
    if (day.actual !== null) total += day.actual;
    const expected = projected.get(index + 1);
    const range = band.get(index + 1);
    rows.push({
      date: day.date,
      actual: day.actual,
      total: day.actual === null ? null : total,
      projection: expected !== undefined && range ? { expected, lower: range.lower, upper: range.upper } : null,
    });
  }
  const figure = quantityColumn([total, ...series.band.map((p) => p.upper)], metric.unit);
  return (
    <details className="chart-table">
      <summary>Forecast figures</summary>
      <TableScroll label="Forecast figures">
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
              <th scope="col" className="num">
                Projected
              </th>
              <th scope="col" className="num">
                {Math.round(confidence * 100)}% range
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.date}>
                <td className="nowrap">{formatDate(`${row.date}T00:00:00Z`)}</td>
                <td className="num">{row.actual === null ? '—' : figure(row.actual)}</td>
                <td className="num">{row.total === null ? '—' : figure(row.total)}</td>
                <td className="num">{row.projection ? `≈ ${figure(row.projection.expected)}` : '—'}</td>
                <td className="num nowrap">
                  {row.projection ? `${figure(row.projection.lower)} – ${figure(row.projection.upper)}` : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </details>
  );
}
