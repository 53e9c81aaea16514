import { describe, expect, it } from 'vitest';
import {
  budgetBarWidth,
  budgetExample,
  budgetInputText,
  budgetLevel,
  forecastText,
  parseBudgetAmount,
  spendText,
  thresholdText,
} from '../budget';

const usd = (minor: number) => ({ minor, currency: 'USD' });

describe('parseBudgetAmount', () => {
  it('turns major units into exact minor units by the currency exponent', () => {
    expect(parseBudgetAmount('1,234.56', 'USD')).toEqual({ minor: 123456 });
    expect(parseBudgetAmount('1234.5', 'USD')).toEqual({ minor: 123450 });
    expect(parseBudgetAmount('500', 'USD')).toEqual({ minor: 50000 });
    expect(parseBudgetAmount(' 0.10 ', 'EUR')).toEqual({ minor: 10 });
    // 0.29 * 100 is 28.999… as a float: integer arithmetic gives 29.
    expect(parseBudgetAmount('0.29', 'USD')).toEqual({ minor: 29 });
    expect(parseBudgetAmount('4.35', 'USD')).toEqual({ minor: 435 });
    expect(parseBudgetAmount('50,000', 'JPY')).toEqual({ minor: 50000 });
    expect(parseBudgetAmount('12.345', 'BHD')).toEqual({ minor: 12345 });
    expect(parseBudgetAmount('11258999068426.24', 'USD')).toEqual({ minor: 2 ** 50 });
  });

  it('refuses more decimals than the currency has, and what is not a positive amount', () => {
    expect(parseBudgetAmount('12.345', 'USD').error).toBe('USD has 2 decimals at most.');
    expect(parseBudgetAmount('500.5', 'JPY').error).toBe('JPY has no minor units: enter a whole amount.');
    expect(parseBudgetAmount('0', 'USD').error).toMatch(/above zero/);
    expect(parseBudgetAmount('', 'USD').error).toMatch(/Enter an amount/);
    expect(parseBudgetAmount('11258999068426.25', 'USD').error).toMatch(/too large/);
    for (const text of ['-5', '1,23.00', '12,34', '$500', '1e3', 'abc', '1.2.3', '.']) {
      expect(parseBudgetAmount(text, 'USD').error, text).toBeTruthy();
    }
  });

  it('shows a budget for changing in the form it is typed', () => {
    expect(budgetInputText(usd(123450))).toBe('1234.50');
    expect(budgetInputText({ minor: 5000, currency: 'JPY' })).toBe('5000');
    expect(budgetInputText({ minor: 12345, currency: 'BHD' })).toBe('12.345');
    expect(parseBudgetAmount(budgetInputText(usd(99)), 'USD')).toEqual({ minor: 99 });
    expect(budgetExample('USD')).toBe('500.00');
    expect(budgetExample('JPY')).toBe('50000');
  });
});

describe('budget card', () => {
  it('colours the spend by the thresholds billingd reports at, in exact integers', () => {
    expect(budgetLevel(0, 50000)).toBe('ok');
    expect(budgetLevel(39999, 50000)).toBe('ok');
    expect(budgetLevel(40000, 50000)).toBe('warning');
    expect(budgetLevel(49999, 50000)).toBe('warning');
    expect(budgetLevel(50000, 50000)).toBe('critical');
    expect(budgetLevel(90000, 50000)).toBe('critical');
    expect(budgetLevel(0, 0)).toBe('ok');
  });

  it('fills the bar to the percent, at most all of it', () => {
    expect(budgetBarWidth(59.8)).toBe(59.8);
    expect(budgetBarWidth(180)).toBe(100);
    expect(budgetBarWidth(-1)).toBe(0);
    expect(budgetBarWidth(Number.NaN)).toBe(0);
  });

  it('says the spend so far with its percent', () => {
    expect(spendText({ spend: usd(29900), amount: usd(50000), spend_percent: 59.8 })).toBe(
      '$299.00 of $500.00 spent so far (59.8%)',
    );
  });

  it('compares the forecast with the budget: on track, or over by how much', () => {
    expect(forecastText({ forecast: usd(29900), amount: usd(50000), forecast_exceeds: false }, true)).toEqual({
      exceeds: false,
      text: 'On track: projected $299.00 of $500.00',
    });
    expect(forecastText({ forecast: usd(62000), amount: usd(50000), forecast_exceeds: true }, true)).toEqual({
      exceeds: true,
      text: 'Projected to exceed your budget by $120.00',
    });
    expect(forecastText({ forecast: usd(50001), amount: usd(50000), forecast_exceeds: true }, false).text).toBe(
      'Projected to exceed the budget by $0.01',
    );
    expect(
      forecastText(
        {
          forecast: { minor: 70000, currency: 'JPY' },
          amount: { minor: 50000, currency: 'JPY' },
          forecast_exceeds: true,
        },
        true,
      ).text,
    ).toBe('Projected to exceed your budget by ¥20,000');
  });

  it('names the highest threshold crossed', () => {
    expect(thresholdText([])).toBeNull();
    expect(thresholdText([50])).toBe('Spend has passed 50% of the budget this period.');
    expect(thresholdText([50, 80])).toBe('Spend has passed 80% of the budget this period.');
    expect(thresholdText([50, 80, 100])).toBe('Spend has reached the budget this period.');
  });
});
