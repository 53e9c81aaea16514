// The Analytics page (admins): what its figures and charts are made of. Pure
// functions, unit-tested; drawn by pages/admin/AnalyticsPage.tsx and the
// charts in components/AnalyticsCharts.tsx (with lib/chart.ts's scales).
//
// Every amount belongs to one currency: the page shows one currency at a time
// and nothing here adds amounts of different currencies (sumAmounts refuses).
// Chart geometry works in minor units (plain numbers: pixels need no
// exactness); every figure shown as text is formatted from the exact amounts.
import { buildUrl } from './api';
import { signedTicks } from './chart';
import { currencyDigits, DISPLAY_LOCALE, formatInteger, formatMoney, formatMonth, MINUS, sumAmounts } from './format';
import type {
  AgingBucket,
  AgingBucketName,
  Amount,
  AnalyticsMonth,
  ExportFormat,
  ExportKind,
  MrrCurrency,
  ReceivablesCurrency,
  RevenueCurrency,
  RevenueMonth,
  TopCustomersBy,
} from './types';

/** Months the charts show, the current one included. */
export const ANALYTICS_MONTHS = 12;
/** Rows of the top customers table. */
export const TOP_CUSTOMERS_LIMIT = 10;

// The documented values (contract.ts checks each list against docs/openapi.yaml).
export const AGING_BUCKETS = ['current', '1_30', '31_60', '61_90', 'over_90'] as const;
export const EXPORT_KINDS = ['invoices', 'invoice_lines', 'usage_rollups', 'audit'] as const;
export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export const TOP_CUSTOMERS_BY = ['revenue', 'usage'] as const;

const BUCKET_LABELS: Record<AgingBucketName, string> = {
  current: 'Current',
  '1_30': '1–30 days',
  '31_60': '31–60 days',
  '61_90': '61–90 days',
  over_90: 'Over 90 days',
};

/** "Current", "1–30 days" (past due), …; an unknown bucket as the API spells it. */
export function bucketLabel(bucket: string): string {
  return BUCKET_LABELS[bucket as AgingBucketName] ?? bucket.replace(/_/g, ' ');
}

export const EXPORT_KIND_LABELS: Record<ExportKind, string> = {
  invoices: 'Invoices',
  invoice_lines: 'Invoice lines',
  usage_rollups: 'Usage (hourly rollups)',
  audit: 'Audit log',
};

export const EXPORT_FORMAT_LABELS: Record<ExportFormat, string> = { csv: 'CSV', jsonl: 'JSON Lines' };

/** `by` from the URL: "usage", or "revenue" for anything else. */
export function parseTopBy(value: string | null): TopCustomersBy {
  return value === 'usage' ? 'usage' : 'revenue';
}

// ---------------------------------------------------------------------------
// Currencies

/** The currencies of the answers, each once, in the order they first appear. */
export function currenciesOf(...lists: (readonly { currency: string }[] | undefined)[]): string[] {
  const seen: string[] = [];
  for (const list of lists) for (const item of list ?? []) if (!seen.includes(item.currency)) seen.push(item.currency);
  return seen;
}

/** The currency shown: the one asked for when the answers have it, else the first; null when there is none. */
export function pickCurrency(currencies: readonly string[], wanted: string | null): string | null {
  if (wanted && currencies.includes(wanted)) return wanted;
  return currencies[0] ?? null;
}

/** The entry of a per-currency list for `currency`. */
export function ofCurrency<T extends { currency: string }>(
  list: readonly T[] | undefined,
  currency: string | null,
): T | undefined {
  return currency === null ? undefined : list?.find((item) => item.currency === currency);
}

// ---------------------------------------------------------------------------
// Months

const shortMonthFormat = new Intl.DateTimeFormat(DISPLAY_LOCALE, { month: 'short', timeZone: 'UTC' });
const shortMonthYearFormat = new Intl.DateTimeFormat(DISPLAY_LOCALE, {
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});

function monthDate(month: string): Date | null {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  return match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)) : null;
}

/** "2026-08" -> "Aug", or "Aug 2026" with the year; anything else as it is. */
export function shortMonth(month: string, withYear = false): string {
  const date = monthDate(month);
  if (!date) return month;
  return (withYear ? shortMonthYearFormat : shortMonthFormat).format(date);
}

/** "Dec 2025 to Nov 2026": the months a chart spans. */
export function monthRange(months: readonly { month: string }[]): string {
  const first = months[0]?.month;
  const last = months[months.length - 1]?.month;
  if (!first || !last) return 'no months';
  return first === last ? shortMonth(first, true) : `${shortMonth(first, true)} to ${shortMonth(last, true)}`;
}

/**
 * The months a month axis labels: every `stride`-th counting back from the
 * last one (the current month is always labelled), with the year on the first
 * label and wherever the year changes ("Dec 2025", "Apr", "Aug").
 */
export function monthLabels(months: readonly string[], stride: number): { index: number; text: string }[] {
  const step = Math.max(1, Math.floor(stride));
  const labels: { index: number; text: string }[] = [];
  let year = '';
  months.forEach((month, index) => {
    if ((months.length - 1 - index) % step !== 0) return;
    const thisYear = month.slice(0, 4);
    labels.push({ index, text: shortMonth(month, thisYear !== year) });
    year = thisYear;
  });
  return labels;
}

// ---------------------------------------------------------------------------
// Money on charts

/** Ticks for an axis of amounts in minor units, round in major units ($0, $2K, $4K), through 0. */
export function moneyTicks(low: number, high: number, currency: string): number[] {
  const scale = 10 ** currencyDigits(currency);
  return signedTicks(low / scale, high / scale).map((tick) => Math.round(tick * scale));
}

const shortMoneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * An amount in few characters, for axes and bar labels: "$4.3K", "−$1.2M",
 * "$500", "$0.25". Only for reading a chart: tables and figures show the
 * exact amount (formatMoney).
 */
export function formatMoneyShort(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const major = minor / 10 ** digits;
  const places = Math.abs(major) >= 1000 ? 1 : Number.isInteger(major) ? 0 : digits;
  const key = `${currency}/${places}`;
  let format = shortMoneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(DISPLAY_LOCALE, {
      style: 'currency',
      currency,
      notation: 'compact',
      minimumFractionDigits: 0,
      maximumFractionDigits: places,
    });
    shortMoneyFormats.set(key, format);
  }
  return format.format(major).replace(/-/g, MINUS);
}

/** A change as a signed amount: "+$2,999.00", "−$12.00"; no sign for none ("$0.00"). */
export function formatMoneyChange(amount: Amount): string {
  return amount.minor > 0 ? `+${formatMoney(amount)}` : formatMoney(amount);
}

/** A count's change: "+1", "−2", "0". */
export function formatCountChange(change: number): string {
  return change > 0 ? `+${formatInteger(change)}` : formatInteger(change);
}

/** Net revenue retention as the API sends it ("101.5") as a percentage ("101.5%"); "—" when there is none. */
export function formatNrr(value: string | null | undefined): string {
  if (value === null || value === undefined || !/^-?\d+(\.\d+)?$/.test(value)) return '—';
  return `${value.replace('-', MINUS)}%`;
}

// ---------------------------------------------------------------------------
// Stacked bars

/** One part of a stacked bar: a value (minor units) that may be negative. */
export interface StackPart {
  key: string;
  value: number;
}

/** A part placed in its bar: it spans `from` to `to` (values, not pixels). */
export interface StackSegment extends StackPart {
  from: number;
  to: number;
}

/**
 * A stacked bar of parts of either sign: the positive ones stack up from 0 in
 * their order, the negative ones down from 0 in theirs, so gains sit above the
 * axis and losses below it and no part hides another. Parts of 0 are left out.
 */
export function stackSigned(parts: readonly StackPart[]): StackSegment[] {
  let up = 0;
  let down = 0;
  const segments: StackSegment[] = [];
  for (const part of parts) {
    if (part.value > 0) {
      segments.push({ ...part, from: up, to: up + part.value });
      up += part.value;
    } else if (part.value < 0) {
      segments.push({ ...part, from: down, to: down + part.value });
      down += part.value;
    }
  }
  return segments;
}

/** The lowest and highest value the bars reach (0 included). */
export function stackExtent(stacks: readonly (readonly StackSegment[])[]): { low: number; high: number } {
  let low = 0;
  let high = 0;
  for (const stack of stacks) {
    for (const segment of stack) {
      low = Math.min(low, segment.from, segment.to);
      high = Math.max(high, segment.from, segment.to);
    }
  }
  return { low, high };
}

// ---------------------------------------------------------------------------
// MRR

export type MovementKey = 'new' | 'expansion' | 'reactivation' | 'contraction' | 'churned';

/** The movements of MRR in a month: what added to it (up) and what took from it (down). */
export const MOVEMENTS: readonly { key: MovementKey; label: string; sign: 1 | -1 }[] = [
  { key: 'new', label: 'New', sign: 1 },
  { key: 'expansion', label: 'Expansion', sign: 1 },
  { key: 'reactivation', label: 'Reactivation', sign: 1 },
  { key: 'contraction', label: 'Contraction', sign: -1 },
  { key: 'churned', label: 'Churned', sign: -1 },
];

/** A month's movements as the parts of a bar: contraction and churned (sent as positive amounts) below 0. */
export function movementParts(month: AnalyticsMonth): StackPart[] {
  return MOVEMENTS.map(({ key, sign }) => ({ key, value: sign * Math.abs(month[key].minor) }));
}

/** Every movement over the months, each summed exactly (one currency). */
export function movementTotals(months: readonly AnalyticsMonth[], currency: string): Record<MovementKey, Amount> {
  const totals = {} as Record<MovementKey, Amount>;
  for (const { key } of MOVEMENTS) {
    totals[key] = months.length ? sumAmounts(months.map((month) => month[key])) : { minor: 0, currency };
  }
  return totals;
}

/** Whether any month has a movement (else the chart would be an empty axis). */
export function hasMovements(months: readonly AnalyticsMonth[]): boolean {
  return months.some((month) => MOVEMENTS.some(({ key }) => month[key].minor !== 0));
}

/**
 * What changed since the month before the current one (the last of `months`
 * is the current month): MRR and paying customers. null with no earlier month.
 */
export function sincePreviousMonth(
  currency: Pick<MrrCurrency, 'mrr' | 'paying_customers' | 'months'>,
): { month: string; mrr: Amount; customers: number } | null {
  const previous = currency.months[currency.months.length - 2];
  if (!previous) return null;
  return {
    month: previous.month,
    mrr: sumAmounts([currency.mrr, { ...previous.mrr, minor: -previous.mrr.minor }]),
    customers: currency.paying_customers - previous.paying_customers,
  };
}

/** The chart's summary, read instead of the chart: the span, MRR now and its change, the highest month. */
export function mrrSummary(currency: Pick<MrrCurrency, 'currency' | 'mrr' | 'paying_customers' | 'months'>): string {
  const months = currency.months;
  const since = sincePreviousMonth(currency);
  const parts = [
    `Monthly recurring revenue in ${currency.currency}, ${monthRange(months)}: ${formatMoney(currency.mrr)} now`,
  ];
  if (since) parts.push(`, ${formatMoneyChange(since.mrr)} since ${formatMonth(since.month)}`);
  const peak = months.reduce<AnalyticsMonth | null>(
    (best, m) => (!best || m.mrr.minor > best.mrr.minor ? m : best),
    null,
  );
  if (peak && peak.mrr.minor > 0) parts.push(`; highest ${formatMoney(peak.mrr)} in ${formatMonth(peak.month)}`);
  return `${parts.join('')}.`;
}

/** The movements chart's summary: each movement's total over the months. */
export function movementsSummary(currency: Pick<MrrCurrency, 'currency' | 'months'>): string {
  const totals = movementTotals(currency.months, currency.currency);
  const list = MOVEMENTS.map(({ key, label }) => `${label.toLowerCase()} ${formatMoney(totals[key])}`).join(', ');
  return `MRR movements in ${currency.currency}, ${monthRange(currency.months)}, in total: ${list}.`;
}

// ---------------------------------------------------------------------------
// Revenue by plan

/** The key of the plans beyond the ones a chart names. */
export const OTHER_PLANS = '_other';

/** Each plan's revenue over the months, exactly, largest first (ties by id). */
export function planTotals(months: readonly RevenueMonth[]): { planId: string; total: Amount }[] {
  const byPlan = new Map<string, Amount[]>();
  for (const month of months) {
    for (const entry of month.by_plan) byPlan.set(entry.plan_id, [...(byPlan.get(entry.plan_id) ?? []), entry.amount]);
  }
  return [...byPlan.entries()]
    .map(([planId, amounts]) => ({ planId, total: sumAmounts(amounts) }))
    .sort((a, b) => b.total.minor - a.total.minor || a.planId.localeCompare(b.planId));
}

/**
 * The series of the revenue chart: the `max` plans with the most revenue, and
 * OTHER_PLANS for the rest when there are more (a colour per series stays
 * tellable apart).
 */
export function planSeries(months: readonly RevenueMonth[], max = 5): string[] {
  const ids = planTotals(months).map((plan) => plan.planId);
  return ids.length > max + 1 ? [...ids.slice(0, max), OTHER_PLANS] : ids;
}

/** A month's revenue as the parts of a bar, one per series (the plans not named summed into OTHER_PLANS). */
export function planParts(month: RevenueMonth, series: readonly string[]): StackPart[] {
  const named = new Set(series);
  const values = new Map<string, number>(series.map((key) => [key, 0]));
  for (const entry of month.by_plan) {
    const key = named.has(entry.plan_id) ? entry.plan_id : OTHER_PLANS;
    if (values.has(key)) values.set(key, (values.get(key) ?? 0) + entry.amount.minor);
  }
  return series.map((key) => ({ key, value: values.get(key) ?? 0 }));
}

/** A plan's name from the catalog's, else its id made readable ("pro_annual" -> "Pro annual"). */
export function planLabel(planId: string, names: ReadonlyMap<string, string>): string {
  if (planId === OTHER_PLANS) return 'Other plans';
  const name = names.get(planId);
  if (name) return name;
  const text = planId.replace(/[_-]+/g, ' ').trim();
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : planId;
}

/** Whether any month has revenue to draw. */
export function hasRevenue(months: readonly RevenueMonth[]): boolean {
  return months.some((month) => month.by_plan.some((entry) => entry.amount.minor !== 0));
}

/** The revenue chart's summary: the span, the total and each plan's. */
export function revenueSummary(
  currency: Pick<RevenueCurrency, 'currency' | 'total' | 'months'>,
  names: ReadonlyMap<string, string>,
): string {
  const plans = planTotals(currency.months)
    .map((plan) => `${planLabel(plan.planId, names)} ${formatMoney(plan.total)}`)
    .join(', ');
  return (
    `Revenue by plan per month in ${currency.currency}, ${monthRange(currency.months)}: ` +
    `${formatMoney(currency.total)} in total${plans ? `; ${plans}` : ''}.`
  );
}

// ---------------------------------------------------------------------------
// Receivables

/** Every bucket in order, from current to over 90 days (a bucket the answer leaves out is empty). */
export function agingBuckets(currency: Pick<ReceivablesCurrency, 'currency' | 'buckets'>): AgingBucket[] {
  return AGING_BUCKETS.map(
    (bucket) =>
      currency.buckets.find((b) => b.bucket === bucket) ?? {
        bucket,
        invoices: 0,
        amount: { minor: 0, currency: currency.currency },
      },
  );
}

/** What is past due: every bucket but current, exactly. */
export function pastDue(currency: Pick<ReceivablesCurrency, 'currency' | 'buckets'>): Amount {
  const late = agingBuckets(currency).filter((b) => b.bucket !== 'current');
  return sumAmounts(late.map((b) => b.amount));
}

function invoicesText(count: number): string {
  return `${formatInteger(count)} invoice${count === 1 ? '' : 's'}`;
}

/** The aging chart's summary: the outstanding total and each bucket. */
export function agingSummary(currency: ReceivablesCurrency): string {
  const buckets = agingBuckets(currency)
    .map((b) => `${bucketLabel(b.bucket).toLowerCase()} ${formatMoney(b.amount)} (${invoicesText(b.invoices)})`)
    .join(', ');
  return (
    `Receivables by days past due in ${currency.currency}: ${formatMoney(currency.outstanding)} outstanding ` +
    `on ${invoicesText(currency.invoices)}; ${buckets}.`
  );
}

// ---------------------------------------------------------------------------
// Exports

export interface ExportRequest {
  kind: ExportKind;
  /** YYYY-MM-DD, the first day exported. */
  from: string;
  /** YYYY-MM-DD, the last day exported (the API's `to` is the day after: exclusive). */
  to: string;
  format: ExportFormat;
}

/** A YYYY-MM-DD date moved by whole days ("2026-10-31", 1 -> "2026-11-01"); "" when it is not a date. */
export function addDays(date: string, days: number): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return '';
  const time = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days);
  return new Date(time).toISOString().slice(0, 10);
}

/** The export's download URL: both days included (`to` is sent as the next day, which the API excludes). */
export function exportUrl(request: ExportRequest): string {
  return buildUrl(`/api/v1/admin/exports/${encodeURIComponent(request.kind)}`, {
    from: request.from,
    to: addDays(request.to, 1),
    format: request.format,
  });
}

/** What is wrong with a range of days (YYYY-MM-DD or ""), in words; null when it can be exported. */
export function exportRangeProblem(from: string, to: string): string | null {
  if (!from && !to) return 'Choose the first and the last day.';
  if (!from) return 'Choose the first day.';
  if (!to) return 'Choose the last day.';
  if (to < from) return 'The last day is before the first.';
  return null;
}

/** The last closed month, as the export form's first range: its first and last day (UTC). */
export function lastMonthRange(now: Date): { from: string; to: string } {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
  return { from: first.toISOString().slice(0, 10), to: last.toISOString().slice(0, 10) };
}

/** The file the server names an export: "invoices-2026-10-01-2026-11-01.csv" (the API's from and exclusive to). */
export function exportFileName(request: ExportRequest): string {
  return `${request.kind}-${request.from}-${addDays(request.to, 1)}.${request.format}`;
}
