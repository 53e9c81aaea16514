// An invoice's line table: description, quantity, unit price and amount per
// line, then subtotal, tax and total (and whatever the caller adds under
// them). Used by an invoice's page and by the price preview, so a preview
// reads exactly like the invoice it foretells.
import type { ReactNode } from 'react';
import { formatLinePrice, formatLineQuantity, formatMoney, formatRate } from '../lib/format';
import type { Amount } from '../lib/types';
import { NumCell, NumHeader } from './table';
import { TableScroll } from './TableScroll';

export interface Line {
  kind: string;
  metric: string | null;
  description: string;
  quantity: number;
  unit_price: string;
  amount: Amount;
}

export function LinesTable({
  label,
  testIdPrefix,
  lines,
  currency,
  subtotal,
  taxRate,
  tax,
  total,
  children,
}: {
  label: string;
  /** data-testid of the table (`<prefix>-lines`) and of its subtotal, tax and total cells. */
  testIdPrefix: string;
  lines: Line[];
  currency: string;
  subtotal: Amount;
  taxRate: string | null;
  tax: Amount;
  total: Amount;
  /** Rows after the total (amount paid, amount due). */
  children?: ReactNode;
}) {
  const rate = formatRate(taxRate);
  return (
    <TableScroll label={label}>
      <table className="table table-stack" data-testid={`${testIdPrefix}-lines`}>
        <thead>
          <tr>
            <th scope="col">Description</th>
            <NumHeader>Quantity</NumHeader>
            <NumHeader>Unit price</NumHeader>
            <NumHeader>Amount</NumHeader>
          </tr>
        </thead>
        <tbody>
          {lines.map((line, index) => (
            <tr key={index} data-kind={line.kind}>
              <td className="cell-main">{line.description}</td>
              <NumCell label="Quantity">{formatLineQuantity(line.quantity, line.metric)}</NumCell>
              <NumCell label="Unit price">{formatLinePrice(line.unit_price, line.metric, currency)}</NumCell>
              <NumCell label="Amount">{formatMoney(line.amount)}</NumCell>
            </tr>
          ))}
          {lines.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No lines.
              </td>
            </tr>
          )}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={3}>
              Subtotal
            </th>
            <td className="num" data-testid={`${testIdPrefix}-subtotal`}>
              {formatMoney(subtotal)}
            </td>
          </tr>
          <tr>
            <th scope="row" colSpan={3}>
              Tax{rate ? ` (${rate})` : ''}
            </th>
            <td className="num" data-testid={`${testIdPrefix}-tax`}>
              {formatMoney(tax)}
            </td>
          </tr>
          <tr className="row-total">
            <th scope="row" colSpan={3}>
              Total
            </th>
            <td className="num" data-testid={`${testIdPrefix}-total`}>
              {formatMoney(total)}
            </td>
          </tr>
          {children}
        </tfoot>
      </table>
    </TableScroll>
  );
}
