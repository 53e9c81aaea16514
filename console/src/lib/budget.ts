// The monthly budget card on the Usage page: the amount a person types,
// exactly in minor units of the customer's currency, and the words and bar
// for the spend so far and the forecast against the budget. Pure, unit-tested.
import { parseMajorAmount, type ParsedAmount } from './credits';
import { currencyDigits, formatMoney, formatPercent, minorToDecimal } from './format';
import type { Amount, Budget } from './types';

/**
 * A budget typed in major units ("1,234.56", "1234.5", "500") as minor units
 * of `currency` by its exponent (USD 2 decimals, JPY none, BHD 3), with
 * integer arithmetic: more decimals than the currency has, signs, zero and
 * anything that is not a plain number are refused with a sentence to show.
 */
export function parseBudgetAmount(text: string, currency: string): ParsedAmount {
  return parseMajorAmount(text, currency);
}

/** A budget as the form shows it to change it: "1234.50" for 123450 USD cents, "5000" for ¥5,000. */
export function budgetInputText(amount: Amount): string {
  return minorToDecimal(amount.minor, currencyDigits(amount.currency));
}

/** "e.g. 500.00" in USD, "e.g. 50000" in JPY: an example amount in the currency's form. */
export function budgetExample(currency: string): string {
  const digits = currencyDigits(currency);
  return digits === 0 ? '50000' : `500.${'0'.repeat(digits)}`;
}

export type BudgetLevel = 'ok' | 'warning' | 'critical';

/**
 * How close the spend is to the budget, in exact integers: under 80 % ok,
 * from 80 % warning, from 100 % critical (the thresholds billingd reports at).
 */
export function budgetLevel(spendMinor: number, budgetMinor: number): BudgetLevel {
  const spend = BigInt(Math.trunc(spendMinor)) * 100n;
  const budget = BigInt(Math.trunc(budgetMinor));
  if (budget <= 0n) return spendMinor > 0 ? 'critical' : 'ok';
  if (spend >= budget * 100n) return 'critical';
  if (spend >= budget * 80n) return 'warning';
  return 'ok';
}

/** The bar's filled share in percent, 0 to 100 (the spend can pass the budget). */
export function budgetBarWidth(spendPercent: number): number {
  return Number.isFinite(spendPercent) ? Math.min(100, Math.max(0, spendPercent)) : 0;
}

/** "$299.00 of $500.00 spent so far (59.8%)". */
export function spendText(budget: Pick<Budget, 'spend' | 'amount' | 'spend_percent'>): string {
  return `${formatMoney(budget.spend)} of ${formatMoney(budget.amount)} spent so far (${formatPercent(budget.spend_percent)})`;
}

/** `a` − `b` of one currency, exactly. */
function minus(a: Amount, b: Amount): Amount {
  if (a.currency !== b.currency) throw new RangeError(`cannot subtract ${b.currency} from ${a.currency}`);
  return { minor: Number(BigInt(a.minor) - BigInt(b.minor)), currency: a.currency };
}

/**
 * The projected invoice against the budget: "On track: projected $299.00 of
 * $500.00" or "Projected to exceed your budget by $120.00" (`own`: the
 * member's own budget; an admin reads "the budget").
 */
export function forecastText(
  budget: Pick<Budget, 'forecast' | 'amount' | 'forecast_exceeds'>,
  own: boolean,
): { exceeds: boolean; text: string } {
  const whose = own ? 'your' : 'the';
  if (budget.forecast_exceeds) {
    const over = minus(budget.forecast, budget.amount);
    return {
      exceeds: true,
      text:
        over.minor > 0
          ? `Projected to exceed ${whose} budget by ${formatMoney(over)}`
          : `Projected to exceed ${whose} budget`,
    };
  }
  return {
    exceeds: false,
    text: `On track: projected ${formatMoney(budget.forecast)} of ${formatMoney(budget.amount)}`,
  };
}

/** The highest threshold the spend has crossed, in words ("Spend has passed 80 % of the budget"), or null. */
export function thresholdText(thresholds: readonly number[]): string | null {
  const highest = Math.max(0, ...thresholds);
  if (highest >= 100) return 'Spend has reached the budget this period.';
  if (highest > 0) return `Spend has passed ${highest}% of the budget this period.`;
  return null;
}
