// Display formatting. Money is never turned into a binary float: minor units
// become exact decimal text ("-1234.50") with integer arithmetic, and that text
// is handed to Intl.NumberFormat, which formats decimal strings exactly.
import type { Amount, Period } from './types';

export const DISPLAY_LOCALE = 'en-US';

/** The typographic minus sign (U+2212): as wide as a plus and the digits, unlike the hyphen. */
export const MINUS = '\u2212';

/** Intl's text with its hyphen-minus signs as typographic minus signs (a formatted number has no other hyphen). */
function withMinus(text: string): string {
  return text.replace(/-/g, MINUS);
}

const currencyDigitsCache = new Map<string, number>();

/** Minor-unit digits of an ISO 4217 currency: USD 2, JPY 0, BHD 3. */
export function currencyDigits(currency: string): number {
  let digits = currencyDigitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2; // not a currency Intl knows: cents
    }
    currencyDigitsCache.set(currency, digits);
  }
  return digits;
}

/** Exact decimal text of `minor` units with `digits` decimals: (-12345, 2) -> "-123.45". */
export function minorToDecimal(minor: number | bigint, digits: number): string {
  if (typeof minor === 'number' && !Number.isSafeInteger(minor)) {
    throw new RangeError(`money must be an integer number of minor units, got ${minor}`);
  }
  const value = BigInt(minor);
  const negative = value < 0n;
  const magnitude = (negative ? -value : value).toString();
  if (digits === 0) return (negative ? '-' : '') + magnitude;
  const padded = magnitude.padStart(digits + 1, '0');
  const whole = padded.slice(0, padded.length - digits);
  const fraction = padded.slice(padded.length - digits);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

const moneyFormatters = new Map<string, Intl.NumberFormat>();

function moneyFormatter(currency: string, minDigits: number, maxDigits: number): Intl.NumberFormat {
  const key = `${currency}/${minDigits}/${maxDigits}`;
  let formatter = moneyFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(DISPLAY_LOCALE, {
      style: 'currency',
      currency,
      minimumFractionDigits: minDigits,
      maximumFractionDigits: maxDigits,
    });
    moneyFormatters.set(key, formatter);
  }
  return formatter;
}

/** "$1,234.50" from {minor: 123450, currency: "USD"}. */
export function formatMoney(amount: Amount): string {
  const digits = currencyDigits(amount.currency);
  const text = minorToDecimal(amount.minor, digits) as Intl.StringNumericLiteral;
  return withMinus(moneyFormatter(amount.currency, digits, digits).format(text));
}

/** Minor units with a currency, for amounts the API sends as bare integers. */
export function money(minor: number, currency: string): Amount {
  return { minor, currency };
}

/**
 * An exact decimal price in major units ("0.50", "0.0005"): at least the
 * currency's digits, more when the price has them ("$0.0005").
 */
export function formatPrice(decimal: string, currency: string): string {
  if (!/^-?\d+(\.\d+)?$/.test(decimal)) return decimal;
  const digits = currencyDigits(currency);
  const fraction = decimal.includes('.') ? decimal.split('.')[1]!.replace(/0+$/, '').length : 0;
  const max = Math.min(Math.max(digits, fraction), 20);
  return withMinus(moneyFormatter(currency, digits, max).format(decimal as Intl.StringNumericLiteral));
}

const integerFormat = new Intl.NumberFormat(DISPLAY_LOCALE, { maximumFractionDigits: 0 });
const compactFormat = new Intl.NumberFormat(DISPLAY_LOCALE, { notation: 'compact', maximumFractionDigits: 1 });

export function formatInteger(value: number): string {
  return withMinus(integerFormat.format(value));
}

const BYTE_UNITS: [number, string][] = [
  [1e15, 'PB'],
  [1e12, 'TB'],
  [1e9, 'GB'],
  [1e6, 'MB'],
  [1e3, 'KB'],
];

/** Bytes in decimal units (GB = 10^9 bytes, as the catalog prices them). */
export function formatBytes(bytes: number, fractionDigits = 2): string {
  for (const [size, unit] of BYTE_UNITS) {
    if (Math.abs(bytes) >= size) {
      const value = new Intl.NumberFormat(DISPLAY_LOCALE, { maximumFractionDigits: fractionDigits }).format(
        bytes / size,
      );
      return `${withMinus(value)} ${unit}`;
    }
  }
  return `${formatInteger(bytes)} B`;
}

/**
 * A formatter for one column of quantities: every value in the same unit
 * with the same number of decimals, so the figures line up ("196.00 GB",
 * "194.20 GB", "186.37 GB" rather than "196 GB", "194.2 GB", "186.37 GB").
 * Bytes take the unit of the largest value, with two decimals; counts are whole numbers.
 */
export function quantityColumn(values: readonly number[], unit: string): (value: number) => string {
  if (unit !== 'byte') return (value) => formatQuantity(value, unit);
  const largest = Math.max(0, ...values.map((value) => Math.abs(value)));
  const named = BYTE_UNITS.find(([size]) => largest >= size);
  if (!named) return (value) => `${formatInteger(value)} B`;
  const [size, name] = named;
  const format = new Intl.NumberFormat(DISPLAY_LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return (value) => `${withMinus(format.format(value / size))} ${name}`;
}

const UNIT_PLURALS: Record<string, string> = { impression: 'impressions', call: 'calls', byte: 'bytes' };

/** A unit's name for a quantity of it: ("impression", 1) -> "impression", ("impression", 2) -> "impressions". */
export function unitName(unit: string, value: number): string {
  return value === 1 ? unit : (UNIT_PLURALS[unit] ?? `${unit}s`);
}

/** A usage quantity with its unit: "1,234,567 impressions", "48.2 GB". */
export function formatQuantity(value: number, unit: string): string {
  if (unit === 'byte') return formatBytes(value);
  return `${formatInteger(value)} ${unitName(unit, value)}`;
}

/** Short quantity for chart axes and tight spaces: "1.2M", "48 GB". */
export function formatQuantityShort(value: number, unit: string): string {
  if (unit === 'byte') return formatBytes(value, 1);
  return withMinus(compactFormat.format(value));
}

/** "per 1,000 impressions", "per GB". */
export function formatPer(per: number, unit: string): string {
  if (unit === 'byte') {
    const named = BYTE_UNITS.find(([size]) => size === per);
    if (named) return `per ${named[1]}`;
    return `per ${formatBytes(per)}`;
  }
  if (per === 1) return `per ${unit}`;
  return `per ${integerFormat.format(per)} ${UNIT_PLURALS[unit] ?? `${unit}s`}`;
}

export type UsageLevel = 'ok' | 'warning' | 'critical';

/**
 * Colour band of usage against a limit, in exact integer arithmetic:
 * below 75 % ok (green), 75 % to 90 % warning (yellow), above 90 % critical (red).
 * A zero limit means any usage is over it.
 */
export function usageLevel(usage: number, limit: number): UsageLevel {
  const used = BigInt(Math.trunc(usage)) * 100n;
  const cap = BigInt(Math.trunc(limit));
  if (cap <= 0n) return usage > 0 ? 'critical' : 'ok';
  if (used > cap * 90n) return 'critical';
  if (used >= cap * 75n) return 'warning';
  return 'ok';
}

/** Words for a usage level (the colour is never the only signal). */
export function usageLevelText(usage: number, limit: number): string {
  switch (usageLevel(usage, limit)) {
    case 'ok':
      return 'Within plan';
    case 'warning':
      return 'Approaching limit';
    case 'critical':
      return usage > limit ? 'Over limit' : 'Near limit';
  }
}

/**
 * What a metric's usage figure is, when it is not a running total: the peak
 * (max), the latest reading (last) or the number of events (count).
 */
export function aggregationNote(aggregation: 'sum' | 'count' | 'max' | 'last' | undefined): string {
  switch (aggregation) {
    case 'max':
      return 'Peak this period';
    case 'last':
      return 'Latest reading';
    case 'count':
      return 'Events counted';
    default:
      return '';
  }
}

/** "8,170,175 of 10,000,000 impressions", "406.79 GB of 500 GB". */
export function formatUsageOfLimit(usage: number, limit: number, unit: string): string {
  if (unit === 'byte') return `${formatBytes(usage)} of ${formatBytes(limit)}`;
  return `${formatInteger(usage)} of ${formatQuantity(limit, unit)}`;
}

/** Percent of the limit with one decimal, for display ("94.3 %"). */
export function formatPercent(percent: number): string {
  return `${withMinus(new Intl.NumberFormat(DISPLAY_LOCALE, { maximumFractionDigits: 1, minimumFractionDigits: 0 }).format(percent))}%`;
}

const dateFormat = new Intl.DateTimeFormat(DISPLAY_LOCALE, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});
const shortDateFormat = new Intl.DateTimeFormat(DISPLAY_LOCALE, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat(DISPLAY_LOCALE, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});
const monthFormat = new Intl.DateTimeFormat(DISPLAY_LOCALE, { year: 'numeric', month: 'long', timeZone: 'UTC' });

function parse(iso: string): Date | null {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "Mar 1, 2025" (billing dates are UTC). */
export function formatDate(iso: string | null | undefined): string {
  const date = iso ? parse(iso) : null;
  return date ? dateFormat.format(date) : '—';
}

export function formatShortDate(iso: string): string {
  const date = parse(iso);
  return date ? shortDateFormat.format(date) : '—';
}

export function formatDateTime(iso: string | null | undefined): string {
  const date = iso ? parse(iso) : null;
  return date ? dateTimeFormat.format(date) : '—';
}

const timeFormat = new Intl.DateTimeFormat(DISPLAY_LOCALE, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});

/** "12:01:05 PM UTC": the time of day, to the second (events a second apart). */
export function formatTime(iso: string | null | undefined): string {
  const date = iso ? parse(iso) : null;
  return date ? timeFormat.format(date) : '—';
}

/** "2025-01" -> "January 2025". */
export function formatMonth(period: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(period);
  if (!match) return period;
  return monthFormat.format(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)));
}

/** The last day inside a half-open [start, end) period. */
export function lastDayOf(period: Period): string {
  const end = parse(period.end);
  return end ? new Date(end.getTime() - 1).toISOString() : period.end;
}

/** "Mar 1 – Mar 31, 2025": a half-open period shown by its first and last day. */
export function formatPeriod(period: Period): string {
  const start = parse(period.start);
  const end = parse(period.end);
  if (!start || !end) return '—';
  const last = new Date(end.getTime() - 1);
  if (start.getUTCFullYear() === last.getUTCFullYear()) {
    return `${shortDateFormat.format(start)} – ${dateFormat.format(last)}`;
  }
  return `${dateFormat.format(start)} – ${dateFormat.format(last)}`;
}

/**
 * A period in as few words as fit a small card: "Nov 1 – 30, 2026" within one
 * month, else as formatPeriod.
 */
export function formatPeriodCompact(period: Period): string {
  const start = parse(period.start);
  const end = parse(period.end);
  if (!start || !end) return '—';
  const last = new Date(end.getTime() - 1);
  if (start.getUTCFullYear() === last.getUTCFullYear() && start.getUTCMonth() === last.getUTCMonth()) {
    return `${shortDateFormat.format(start)} – ${last.getUTCDate()}, ${last.getUTCFullYear()}`;
  }
  return formatPeriod(period);
}

/** Whole days from `now` until `iso` (negative: in the past), rounded up. */
export function daysUntil(iso: string, now: Date = new Date()): number {
  const date = parse(iso);
  if (!date) return 0;
  return Math.ceil((date.getTime() - now.getTime()) / 86_400_000);
}

/** "0.19" -> "19%", "0.075" -> "7.5%" (exact: decimal text, no float). */
export function formatRate(decimal: string | null): string {
  if (!decimal || !/^\d+(\.\d+)?$/.test(decimal)) return '';
  const [whole = '0', fraction = ''] = decimal.split('.');
  const padded = fraction.padEnd(2, '0');
  const percentWhole = String(Number(whole + padded.slice(0, 2)));
  const rest = padded.slice(2).replace(/0+$/, '');
  return `${percentWhole}${rest ? `.${rest}` : ''}%`;
}

/** Sum of amounts in one currency, in exact integer arithmetic. */
export function sumAmounts(amounts: Amount[]): Amount {
  const currency = amounts[0]?.currency ?? 'USD';
  let total = 0n;
  for (const amount of amounts) {
    if (amount.currency !== currency) throw new RangeError(`cannot add ${amount.currency} to ${currency}`);
    total += BigInt(amount.minor);
  }
  if (total > BigInt(Number.MAX_SAFE_INTEGER) || total < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError('sum is too large to display exactly');
  }
  return { minor: Number(total), currency };
}

/** Exact decimal text times 10^exponent (exponent >= 0): ("0.0005", 3) -> "0.5". */
export function shiftDecimal(decimal: string, exponent: number): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal);
  if (!match) return decimal;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const digits = whole + fraction.padEnd(exponent, '0');
  const point = whole.length + exponent;
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const fracPart = digits.slice(point).replace(/0+$/, '');
  return `${sign}${intPart || '0'}${fracPart ? `.${fracPart}` : ''}`;
}

/** Names of the catalog's metrics, for places where the API gives only the id. */
export const METRIC_NAMES: Record<string, string> = {
  impressions: 'Ad impressions',
  api_calls: 'API calls',
  data_transfer: 'Data transfer',
};

/** Units of the catalog's metrics (invoice lines name the metric, not its unit). */
export const METRIC_UNITS: Record<string, string> = {
  impressions: 'impression',
  api_calls: 'call',
  data_transfer: 'byte',
};

/**
 * An invoice line's unit price the way people read prices: per GB for bytes,
 * per 1,000 for sub-cent prices, else per unit. Exact (decimal text shifted).
 */
export function formatLinePrice(unitPrice: string, metric: string | null, currency: string): string {
  const unit = metric ? METRIC_UNITS[metric] : undefined;
  if (unit === 'byte') return `${formatPrice(shiftDecimal(unitPrice, 9), currency)} per GB`;
  const minorDigits = currencyDigits(currency);
  const fraction = unitPrice.split('.')[1]?.replace(/0+$/, '') ?? '';
  if (unit && fraction.length > minorDigits) {
    return `${formatPrice(shiftDecimal(unitPrice, 3), currency)} ${formatPer(1000, unit)}`;
  }
  return formatPrice(unitPrice, currency);
}

/** An invoice line's quantity with the metric's unit when it has one. */
export function formatLineQuantity(quantity: number, metric: string | null): string {
  const unit = metric ? METRIC_UNITS[metric] : undefined;
  return unit ? formatQuantity(quantity, unit) : formatInteger(quantity);
}

/** A metric's price list without its name: "Ad impressions: first 1,000,000 included; …" -> "first 1,000,000 included; …". */
export function pricingTerms(name: string, pricing: string): string {
  const prefix = `${name}: `;
  return pricing.startsWith(prefix) ? pricing.slice(prefix.length) : pricing;
}
