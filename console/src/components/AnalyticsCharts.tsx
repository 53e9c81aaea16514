// The Analytics page's charts, hand-drawn in SVG in the usage chart's style
// (UsageChart.tsx): MRR over time, its monthly movements, revenue by plan per
// month (stacked bars) and receivables by days past due. Each is an image with
// a summary for screen readers (role="img", aria-label) and its figures in a
// table under it. One currency per chart; the geometry is lib/chart.ts's and
// lib/analytics.ts's (tested).
import { useId, useRef, type ReactNode, type RefObject } from 'react';
import {
  agingBuckets,
  agingSummary,
  bucketLabel,
  formatMoneyShort,
  monthLabels,
  moneyTicks,
  MOVEMENTS,
  movementParts,
  movementsSummary,
  mrrSummary,
  OTHER_PLANS,
  planLabel,
  planParts,
  planSeries,
  revenueSummary,
  stackExtent,
  stackSigned,
} from '../lib/analytics';
import { areaPath, bands, barRect, labelStride, linearScale, linePath, type Bands } from '../lib/chart';
import { formatInteger, formatMoney, formatMonth } from '../lib/format';
import type { Amount, MrrCurrency, ReceivablesCurrency, RevenueCurrency } from '../lib/types';
import { useElementWidth } from '../lib/useElementWidth';
import { NumHeader } from './table';
import { TableScroll } from './TableScroll';

const PAD = { top: 16, right: 8, bottom: 30, left: 52 };

/** The chart's width as shown (measured), so text stays readable on a phone; and its height for that width. */
function useChartSize(frame: RefObject<HTMLDivElement | null>): { width: number; height: number } {
  const width = Math.max(260, useElementWidth(frame, 560));
  return { width, height: width < 480 ? 200 : 236 };
}

/** The frame every chart shares: its caption, the SVG image with its summary, a key, and its figures. */
function ChartFigure({
  title,
  note,
  summary,
  width,
  height,
  frameRef,
  legend,
  figures,
  testId,
  children,
}: {
  title: string;
  note?: string;
  summary: string;
  width: number;
  height: number;
  frameRef: RefObject<HTMLDivElement | null>;
  legend?: ReactNode;
  figures?: ReactNode;
  testId: string;
  children: ReactNode;
}) {
  const titleId = useId();
  return (
    <figure className="analytics-chart" aria-labelledby={titleId} data-testid={testId}>
      <figcaption id={titleId} className="chart-title">
        {title}
        {note && <span className="muted"> — {note}</span>}
      </figcaption>
      <div ref={frameRef} className="chart-frame">
        <svg
          viewBox={`0 0 ${width} ${height}`}
          width={width}
          height={height}
          className="chart-svg"
          role="img"
          aria-label={summary}
        >
          {children}
        </svg>
      </div>
      {legend}
      {figures}
    </figure>
  );
}

/** The value axis: a grid line and an amount at each tick, the zero line stronger. */
function MoneyGrid({
  ticks,
  y,
  left,
  right,
  currency,
}: {
  ticks: number[];
  y: (value: number) => number;
  left: number;
  right: number;
  currency: string;
}) {
  return (
    <g className="chart-grid">
      {ticks.map((tick) => (
        <g key={tick} className={tick === 0 ? 'chart-zero' : undefined}>
          <line x1={left} x2={right} y1={y(tick)} y2={y(tick)} />
          <text x={left - 8} y={y(tick)} dy="0.32em" textAnchor="end">
            {formatMoneyShort(tick, currency)}
          </text>
        </g>
      ))}
    </g>
  );
}

/** The month axis: the months a label fits under, the current one always. */
function MonthAxis({ months, x, y }: { months: string[]; x: Bands; y: number }) {
  const stride = labelStride(months.length, x.slot * months.length, 64);
  return (
    <g>
      {monthLabels(months, stride).map(({ index, text }) => (
        <text key={index} className="chart-axis" x={x.center(index)} y={y} textAnchor="middle">
          {text}
        </text>
      ))}
    </g>
  );
}

function Legend({ items }: { items: { key: string; label: string; swatch: string }[] }) {
  return (
    // The key repeats what the summary and the table say: hidden from screen readers, as the usage chart's.
    <ul className="chart-legend" aria-hidden="true">
      {items.map((item) => (
        <li key={item.key}>
          <span className={`legend-swatch ${item.swatch}`} />
          {item.label}
        </li>
      ))}
    </ul>
  );
}

function Figures({ label, children }: { label: string; children: ReactNode }) {
  return (
    <details className="chart-table">
      <summary>{label}</summary>
      <TableScroll label={label}>{children}</TableScroll>
    </details>
  );
}

// ---------------------------------------------------------------------------

/** MRR at the end of each month as a line over its area, a dot per month. */
export function MrrTrendChart({ currency }: { currency: MrrCurrency }) {
  const frameRef = useRef<HTMLDivElement>(null);
  const { width, height } = useChartSize(frameRef);
  const months = currency.months;
  const values = months.map((m) => m.mrr.minor);
  const ticks = moneyTicks(Math.min(0, ...values), Math.max(0, ...values), currency.currency);
  const y = linearScale([ticks[0] ?? 0, ticks[ticks.length - 1] ?? 1], [height - PAD.bottom, PAD.top]);
  const x = bands(months.length, [PAD.left, width - PAD.right]);
  const points = months.map((m, index) => ({ t: index, value: m.mrr.minor }));
  return (
    <ChartFigure
      title="MRR over time"
      note="at each month's end"
      summary={mrrSummary(currency)}
      width={width}
      height={height}
      frameRef={frameRef}
      testId="mrr-chart"
    >
      <MoneyGrid ticks={ticks} y={y} left={PAD.left} right={width - PAD.right} currency={currency.currency} />
      <MonthAxis months={months.map((m) => m.month)} x={x} y={height - 10} />
      <g className="chart-area">
        <path className="chart-area-fill" d={areaPath(points, x.center, y, y(0))} />
        <path className="chart-area-line" d={linePath(points, x.center, y)} />
        {months.map((m, index) => (
          <circle key={m.month} cx={x.center(index)} cy={y(m.mrr.minor)} r={x.slot > 28 ? 3.5 : 2.5}>
            <title>{`${formatMonth(m.month)}: ${formatMoney(m.mrr)} MRR, ${formatInteger(m.paying_customers)} paying`}</title>
          </circle>
        ))}
      </g>
    </ChartFigure>
  );
}

/** Each month's movements as a bar: new, expansion and reactivation above 0, contraction and churn below. */
export function MrrMovementsChart({ currency }: { currency: MrrCurrency }) {
  const frameRef = useRef<HTMLDivElement>(null);
  const { width, height } = useChartSize(frameRef);
  const months = currency.months;
  const stacks = months.map((m) => stackSigned(movementParts(m)));
  const { low, high } = stackExtent(stacks);
  const ticks = moneyTicks(low, high, currency.currency);
  const y = linearScale([ticks[0] ?? 0, ticks[ticks.length - 1] ?? 1], [height - PAD.bottom, PAD.top]);
  const x = bands(months.length, [PAD.left, width - PAD.right], 0.6);
  const labels = new Map<string, string>(MOVEMENTS.map((m) => [m.key, m.label]));
  return (
    <ChartFigure
      title="MRR movements"
      note="per month"
      summary={movementsSummary(currency)}
      width={width}
      height={height}
      frameRef={frameRef}
      testId="movements-chart"
      legend={
        <Legend items={MOVEMENTS.map((m) => ({ key: m.key, label: m.label, swatch: `legend-movement-${m.key}` }))} />
      }
    >
      <MoneyGrid ticks={ticks} y={y} left={PAD.left} right={width - PAD.right} currency={currency.currency} />
      <MonthAxis months={months.map((m) => m.month)} x={x} y={height - 10} />
      <g className="chart-stack">
        {stacks.map((stack, index) =>
          stack.map((segment) => (
            <rect
              key={`${months[index]!.month}-${segment.key}`}
              className={`movement-${segment.key}`}
              data-movement={segment.key}
              x={x.barX(index)}
              width={x.bar}
              {...barRect(segment.from, segment.to, y)}
            >
              <title>{`${formatMonth(months[index]!.month)}, ${labels.get(segment.key) ?? segment.key}: ${formatMoney({ minor: Math.abs(segment.value), currency: currency.currency })}`}</title>
            </rect>
          )),
        )}
      </g>
    </ChartFigure>
  );
}

/** The MRR charts' figures: each month's MRR, its movements, paying customers and ARPU. */
export function MrrFigures({ currency }: { currency: MrrCurrency }) {
  return (
    <Figures label="MRR by month">
      <table className="table table-compact">
        <thead>
          <tr>
            <th scope="col">Month</th>
            <NumHeader>MRR</NumHeader>
            {MOVEMENTS.map((m) => (
              <NumHeader key={m.key}>{m.label}</NumHeader>
            ))}
            <NumHeader>Paying customers</NumHeader>
            <NumHeader>ARPU</NumHeader>
          </tr>
        </thead>
        <tbody>
          {currency.months.map((m) => (
            <tr key={m.month}>
              <th scope="row" className="nowrap">
                {formatMonth(m.month)}
              </th>
              <td className="num">{formatMoney(m.mrr)}</td>
              {MOVEMENTS.map((movement) => (
                <td key={movement.key} className="num">
                  {formatMoney(m[movement.key])}
                </td>
              ))}
              <td className="num">{formatInteger(m.paying_customers)}</td>
              <td className="num">{formatMoney(m.arpu)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Figures>
  );
}

/** Revenue per month as stacked bars, a colour per plan (the largest five; the rest as "Other plans"). */
export function RevenueByPlanChart({
  currency,
  planNames,
}: {
  currency: RevenueCurrency;
  planNames: ReadonlyMap<string, string>;
}) {
  const frameRef = useRef<HTMLDivElement>(null);
  const { width, height } = useChartSize(frameRef);
  const months = currency.months;
  const series = planSeries(months);
  const stacks = months.map((m) => stackSigned(planParts(m, series)));
  const { low, high } = stackExtent(stacks);
  const ticks = moneyTicks(low, high, currency.currency);
  const y = linearScale([ticks[0] ?? 0, ticks[ticks.length - 1] ?? 1], [height - PAD.bottom, PAD.top]);
  const x = bands(months.length, [PAD.left, width - PAD.right], 0.6);
  const swatch = (key: string) => `series-${key === OTHER_PLANS ? 'other' : series.indexOf(key)}`;
  // A month's total over its bar where the bars are wide enough for it.
  const showTotals = x.slot >= 44;
  return (
    <ChartFigure
      title="Revenue by plan"
      note="invoiced per month, before tax"
      summary={revenueSummary(currency, planNames)}
      width={width}
      height={height}
      frameRef={frameRef}
      testId="revenue-chart"
      legend={
        <Legend
          items={series.map((key) => ({ key, label: planLabel(key, planNames), swatch: `legend-${swatch(key)}` }))}
        />
      }
      figures={<RevenueFigures currency={currency} series={series} planNames={planNames} />}
    >
      <MoneyGrid ticks={ticks} y={y} left={PAD.left} right={width - PAD.right} currency={currency.currency} />
      <MonthAxis months={months.map((m) => m.month)} x={x} y={height - 10} />
      <g className="chart-stack">
        {stacks.map((stack, index) =>
          stack.map((segment) => (
            <rect
              key={`${months[index]!.month}-${segment.key}`}
              className={swatch(segment.key)}
              data-plan={segment.key}
              x={x.barX(index)}
              width={x.bar}
              {...barRect(segment.from, segment.to, y)}
            >
              <title>{`${formatMonth(months[index]!.month)}, ${planLabel(segment.key, planNames)}: ${formatMoney({ minor: segment.value, currency: currency.currency })}`}</title>
            </rect>
          )),
        )}
      </g>
      {showTotals && (
        <g className="chart-bar-labels" aria-hidden="true">
          {months.map((m, index) => {
            const top = Math.max(0, ...stacks[index]!.map((s) => Math.max(s.from, s.to)));
            if (m.total.minor === 0) return null;
            return (
              <text key={m.month} x={x.center(index)} y={y(top) - 5} textAnchor="middle">
                {formatMoneyShort(m.total.minor, currency.currency)}
              </text>
            );
          })}
        </g>
      )}
    </ChartFigure>
  );
}

function RevenueFigures({
  currency,
  series,
  planNames,
}: {
  currency: RevenueCurrency;
  series: string[];
  planNames: ReadonlyMap<string, string>;
}) {
  return (
    <Figures label="Revenue by month">
      <table className="table table-compact">
        <thead>
          <tr>
            <th scope="col">Month</th>
            {series.map((key) => (
              <NumHeader key={key}>{planLabel(key, planNames)}</NumHeader>
            ))}
            <NumHeader>Base fees</NumHeader>
            <NumHeader>Usage</NumHeader>
            <NumHeader>Other</NumHeader>
            <NumHeader>Total</NumHeader>
          </tr>
        </thead>
        <tbody>
          {currency.months.map((m) => {
            const parts = new Map(planParts(m, series).map((p) => [p.key, p.value]));
            return (
              <tr key={m.month}>
                <th scope="row" className="nowrap">
                  {formatMonth(m.month)}
                </th>
                {series.map((key) => (
                  <td key={key} className="num">
                    {formatMoney({ minor: parts.get(key) ?? 0, currency: currency.currency })}
                  </td>
                ))}
                <td className="num">{formatMoney(m.base_fees)}</td>
                <td className="num">{formatMoney(m.usage)}</td>
                <td className="num">{formatMoney(m.other)}</td>
                <td className="num">
                  <strong>{formatMoney(m.total)}</strong>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Figures>
  );
}

const AGING_ROW = 34;

/** What open invoices still owe as a bar per bucket of days past due, each with its amount and invoices. */
export function AgingChart({ currency }: { currency: ReceivablesCurrency }) {
  const frameRef = useRef<HTMLDivElement>(null);
  const width = Math.max(260, useElementWidth(frameRef, 560));
  const buckets = agingBuckets(currency);
  const height = buckets.length * AGING_ROW + 6;
  const labelWidth = width < 420 ? 84 : 100;
  const valueWidth = width < 420 ? 104 : 150;
  const largest = Math.max(0, ...buckets.map((b) => b.amount.minor));
  const x = linearScale([0, largest || 1], [labelWidth, width - valueWidth]);
  // The exact amount by its bar, unless a phone has no room for a long one (the table has it).
  const amountText = (amount: Amount) => {
    const full = formatMoney(amount);
    return width < 420 && full.length > 10 ? formatMoneyShort(amount.minor, amount.currency) : full;
  };
  return (
    <ChartFigure
      title="Receivables by days past due"
      note="open invoices, now"
      summary={agingSummary(currency)}
      width={width}
      height={height}
      frameRef={frameRef}
      testId="aging-chart"
      figures={<AgingFigures currency={currency} />}
    >
      {buckets.map((b, index) => {
        const top = index * AGING_ROW + 4;
        const barWidth = Math.max(b.amount.minor > 0 ? 2 : 0, x(Math.max(0, b.amount.minor)) - labelWidth);
        return (
          <g key={b.bucket} className="aging-row" data-bucket={b.bucket}>
            <text className="aging-label" x={0} y={top + AGING_ROW / 2 - 2} dy="0.32em">
              {bucketLabel(b.bucket)}
            </text>
            <rect
              className="aging-track"
              x={labelWidth}
              y={top + 6}
              width={width - valueWidth - labelWidth}
              height={18}
            />
            <rect className={`aging-bar aging-${b.bucket}`} x={labelWidth} y={top + 6} width={barWidth} height={18}>
              <title>{`${bucketLabel(b.bucket)}: ${formatMoney(b.amount)} on ${formatInteger(b.invoices)} invoice${b.invoices === 1 ? '' : 's'}`}</title>
            </rect>
            <text className="aging-value" x={labelWidth + barWidth + 8} y={top + AGING_ROW / 2 - 2} dy="0.32em">
              {amountText(b.amount)}
              <tspan className="aging-count"> · {formatInteger(b.invoices)}</tspan>
            </text>
          </g>
        );
      })}
    </ChartFigure>
  );
}

function AgingFigures({ currency }: { currency: ReceivablesCurrency }) {
  return (
    <Figures label="Receivables by bucket">
      <table className="table table-compact">
        <thead>
          <tr>
            <th scope="col">Days past due</th>
            <NumHeader>Invoices</NumHeader>
            <NumHeader>Outstanding</NumHeader>
          </tr>
        </thead>
        <tbody>
          {agingBuckets(currency).map((b) => (
            <tr key={b.bucket}>
              <th scope="row">{bucketLabel(b.bucket)}</th>
              <td className="num">{formatInteger(b.invoices)}</td>
              <td className="num">{formatMoney(b.amount)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr className="row-total">
            <th scope="row">Total</th>
            <td className="num">{formatInteger(currency.invoices)}</td>
            <td className="num">{formatMoney(currency.outstanding)}</td>
          </tr>
        </tfoot>
      </table>
    </Figures>
  );
}
