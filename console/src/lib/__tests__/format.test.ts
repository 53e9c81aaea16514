import { describe, expect, it } from 'vitest';
import {
  pricingTerms,
  currencyDigits,
  daysUntil,
  formatBytes,
  formatDate,
  formatTime,
  formatLinePrice,
  formatLineQuantity,
  formatMoney,
  formatMonth,
  formatPer,
  formatPeriod,
  formatPeriodCompact,
  formatPrice,
  formatQuantity,
  formatRate,
  formatUsageOfLimit,
  formatInteger,
  minorToDecimal,
  quantityColumn,
  shiftDecimal,
  sumAmounts,
  usageLevel,
  usageLevelText,
  aggregationNote,
} from '../format';

describe('money', () => {
  it('turns minor units into exact decimal text', () => {
    expect(minorToDecimal(0, 2)).toBe('0.00');
    expect(minorToDecimal(5, 2)).toBe('0.05');
    expect(minorToDecimal(-5, 2)).toBe('-0.05');
    expect(minorToDecimal(123456, 2)).toBe('1234.56');
    expect(minorToDecimal(1500, 0)).toBe('1500');
    expect(minorToDecimal(1234, 3)).toBe('1.234');
    // 2^53 - 1 cents: no float rounding anywhere.
    expect(minorToDecimal(Number.MAX_SAFE_INTEGER, 2)).toBe('90071992547409.91');
    expect(minorToDecimal(10n ** 20n + 1n, 2)).toBe('1000000000000000000.01');
    expect(() => minorToDecimal(1.5, 2)).toThrow(RangeError);
  });

  it('knows how many minor digits a currency has', () => {
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('BHD')).toBe(3);
  });

  it('formats amounts in their own currency', () => {
    expect(formatMoney({ minor: 617_28, currency: 'USD' })).toBe('$617.28');
    expect(formatMoney({ minor: 123_456_789, currency: 'USD' })).toBe('$1,234,567.89');
    // The typographic minus (U+2212), never the hyphen.
    expect(formatMoney({ minor: -5, currency: 'USD' })).toBe('\u2212$0.05');
    expect(formatMoney({ minor: -30_000, currency: 'EUR' })).toBe('\u2212€300.00');
    expect(formatMoney({ minor: 0, currency: 'EUR' })).toBe('€0.00');
    expect(formatMoney({ minor: 1500, currency: 'JPY' })).toBe('¥1,500');
    expect(formatMoney({ minor: 1234, currency: 'BHD' })).toBe('BHD\u00a01.234');
    // Exact at the edge of safe integers (a float would print ...409.92).
    expect(formatMoney({ minor: Number.MAX_SAFE_INTEGER, currency: 'USD' })).toBe('$90,071,992,547,409.91');
  });

  it('adds amounts exactly and refuses to mix currencies', () => {
    expect(
      sumAmounts([
        { minor: 299_900, currency: 'USD' },
        { minor: 612_405, currency: 'USD' },
      ]),
    ).toEqual({ minor: 912_305, currency: 'USD' });
    // 0.1 + 0.2 style sums stay exact in minor units.
    expect(
      sumAmounts([
        { minor: 10, currency: 'USD' },
        { minor: 20, currency: 'USD' },
      ]).minor,
    ).toBe(30);
    expect(() =>
      sumAmounts([
        { minor: 1, currency: 'USD' },
        { minor: 1, currency: 'EUR' },
      ]),
    ).toThrow(RangeError);
    expect(() =>
      sumAmounts([
        { minor: Number.MAX_SAFE_INTEGER, currency: 'USD' },
        { minor: 1, currency: 'USD' },
      ]),
    ).toThrow(RangeError);
  });

  it('formats exact prices, keeping sub-cent digits', () => {
    expect(formatPrice('0.5', 'USD')).toBe('$0.50');
    expect(formatPrice('0.0005', 'USD')).toBe('$0.0005');
    expect(formatPrice('2999.00', 'USD')).toBe('$2,999.00');
    expect(formatPrice('0.00000000005', 'USD')).toBe('$0.00000000005');
  });

  it('shifts decimal text without floats', () => {
    expect(shiftDecimal('0.0005', 3)).toBe('0.5');
    expect(shiftDecimal('0.00000000005', 9)).toBe('0.05');
    expect(shiftDecimal('12', 3)).toBe('12000');
    expect(shiftDecimal('1.5', 0)).toBe('1.5');
    expect(shiftDecimal('-0.25', 1)).toBe('-2.5');
  });

  it('shows invoice line prices the way the catalog states them', () => {
    expect(formatLinePrice('0.00000000005', 'data_transfer', 'USD')).toBe('$0.05 per GB');
    expect(formatLinePrice('0.0005', 'impressions', 'USD')).toBe('$0.50 per 1,000 impressions');
    expect(formatLinePrice('0.0001', 'api_calls', 'USD')).toBe('$0.10 per 1,000 calls');
    expect(formatLinePrice('2999.00', null, 'USD')).toBe('$2,999.00');
    expect(formatLinePrice('150.00', null, 'USD')).toBe('$150.00');
  });

  it('formats tax rates exactly', () => {
    expect(formatRate('0.19')).toBe('19%');
    expect(formatRate('0.075')).toBe('7.5%');
    expect(formatRate('0.005')).toBe('0.5%');
    expect(formatRate('1')).toBe('100%');
    expect(formatRate(null)).toBe('');
  });
});

describe('usage levels', () => {
  it('is green below 75 %, yellow from 75 % to 90 %, red above 90 %', () => {
    expect(usageLevel(0, 1000)).toBe('ok');
    expect(usageLevel(749, 1000)).toBe('ok');
    expect(usageLevel(750, 1000)).toBe('warning');
    expect(usageLevel(900, 1000)).toBe('warning');
    expect(usageLevel(901, 1000)).toBe('critical');
    expect(usageLevel(1120, 1000)).toBe('critical');
  });

  it('decides the bands on exact integers, also for byte counts', () => {
    const limit = 5_000_000_000_000; // 5 TB
    expect(usageLevel(3_749_999_999_999, limit)).toBe('ok');
    expect(usageLevel(3_750_000_000_000, limit)).toBe('warning');
    expect(usageLevel(4_500_000_000_000, limit)).toBe('warning');
    expect(usageLevel(4_500_000_000_001, limit)).toBe('critical');
  });

  it('treats a zero limit as exceeded by any usage', () => {
    expect(usageLevel(0, 0)).toBe('ok');
    expect(usageLevel(1, 0)).toBe('critical');
  });

  it('says the level in words too', () => {
    expect(usageLevelText(100, 1000)).toBe('Within plan');
    expect(aggregationNote('max')).toBe('Peak this period');
    expect(aggregationNote('last')).toBe('Latest reading');
    expect(aggregationNote('count')).toBe('Events counted');
    expect(aggregationNote('sum')).toBe('');
    expect(aggregationNote(undefined)).toBe('');
    expect(usageLevelText(800, 1000)).toBe('Approaching limit');
    expect(usageLevelText(950, 1000)).toBe('Near limit');
    expect(usageLevelText(1001, 1000)).toBe('Over limit');
  });
});

describe('quantities', () => {
  it('formats counts with their unit', () => {
    expect(formatQuantity(8_170_175, 'impression')).toBe('8,170,175 impressions');
    expect(formatQuantity(1, 'call')).toBe('1 call');
    expect(formatQuantity(2, 'widget')).toBe('2 widgets');
    expect(formatUsageOfLimit(818_502, 1_000_000, 'call')).toBe('818,502 of 1,000,000 calls');
  });

  it('formats bytes in decimal units (GB = 10^9 bytes)', () => {
    expect(formatBytes(406_790_000_000)).toBe('406.79 GB');
    expect(formatBytes(5_000_000_000_000)).toBe('5 TB');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatQuantity(638_160_000_000, 'byte')).toBe('638.16 GB');
    expect(formatUsageOfLimit(406_790_000_000, 500_000_000_000, 'byte')).toBe('406.79 GB of 500 GB');
    expect(formatLineQuantity(639_327_777_267, 'data_transfer')).toBe('639.33 GB');
    expect(formatLineQuantity(2, null)).toBe('2');
  });

  it('names the unit a price is per', () => {
    expect(formatPer(1000, 'impression')).toBe('per 1,000 impressions');
    expect(formatPer(1_000_000_000, 'byte')).toBe('per GB');
    expect(formatPer(1, 'call')).toBe('per call');
  });
});

describe('dates', () => {
  it('shows UTC dates', () => {
    expect(formatDate('2025-03-01T00:00:00.000Z')).toBe('Mar 1, 2025');
    expect(formatDate('2025-02-28T23:59:59.000Z')).toBe('Feb 28, 2025');
    expect(formatDate(null)).toBe('—');
    expect(formatDate('not a date')).toBe('—');
    expect(formatTime('2025-03-01T12:01:05.000Z')).toBe('12:01:05 PM UTC');
    expect(formatTime(null)).toBe('—');
  });

  it('shows a half-open period by its first and last day', () => {
    expect(formatPeriod({ start: '2025-01-01T00:00:00.000Z', end: '2025-02-01T00:00:00.000Z' })).toBe(
      'Jan 1 – Jan 31, 2025',
    );
    expect(formatPeriod({ start: '2024-12-15T00:00:00.000Z', end: '2025-01-15T00:00:00.000Z' })).toBe(
      'Dec 15, 2024 – Jan 14, 2025',
    );
  });

  it('counts days until a date', () => {
    const now = new Date('2025-01-10T12:00:00Z');
    expect(daysUntil('2025-01-15T00:00:00Z', now)).toBe(5);
    expect(daysUntil('2025-01-10T13:00:00Z', now)).toBe(1);
    expect(daysUntil('2025-01-09T00:00:00Z', now)).toBe(-1);
  });

  it('names months', () => {
    expect(formatMonth('2025-01')).toBe('January 2025');
    expect(formatMonth('junk')).toBe('junk');
  });
});

describe('columns and signs', () => {
  it('formats one column of bytes in one unit with two decimals', () => {
    const values = [196e9, 194.2e9, 186.37e9, 0];
    const format = quantityColumn(values, 'byte');
    expect(values.map(format)).toEqual(['196.00 GB', '194.20 GB', '186.37 GB', '0.00 GB']);
    expect(quantityColumn([1_500, 1_000_000], 'impression')(1_500)).toBe('1,500 impressions');
  });

  it('writes negative numbers with the typographic minus', () => {
    expect(formatInteger(-1200)).toBe('\u22121,200');
    expect(formatBytes(-2e9)).toBe('\u22122 GB');
  });

  it('shortens a one-month period', () => {
    expect(formatPeriodCompact({ start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' })).toBe(
      'Nov 1 – 30, 2026',
    );
    expect(formatPeriodCompact({ start: '2026-11-15T00:00:00Z', end: '2026-12-15T00:00:00Z' })).toBe(
      'Nov 15 – Dec 14, 2026',
    );
  });
});

describe('pricing in words', () => {
  it("drops the metric's name from its price list, and only that", () => {
    expect(pricingTerms('Ad impressions', 'Ad impressions: first 1,000,000 included; then 0.50 USD per 1,000')).toBe(
      'first 1,000,000 included; then 0.50 USD per 1,000',
    );
    expect(pricingTerms('API calls', 'Ad impressions: 0.50 USD each')).toBe('Ad impressions: 0.50 USD each');
  });
});
