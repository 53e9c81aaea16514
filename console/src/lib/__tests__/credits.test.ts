import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../api';
import { BillingApi } from '../billing';
import {
  buildCreditNoteRequest,
  buildGrantRequest,
  creditNoteField,
  creditableLines,
  creditableTotal,
  creditedByLine,
  emptyCreditNoteDraft,
  emptyGrantDraft,
  lineField,
  parseMajorAmount,
  refundLabel,
} from '../credits';
import type { CreditNote, InvoiceWithLines } from '../types';

const usd = (minor: number) => ({ minor, currency: 'USD' });

const invoice: Pick<InvoiceWithLines, 'currency' | 'lines' | 'total'> = {
  currency: 'USD',
  total: usd(14510),
  lines: [
    {
      kind: 'base_fee',
      metric: null,
      description: 'Starter plan',
      quantity: 1,
      unit_price: '49.00',
      amount: usd(4900),
    },
    {
      kind: 'overage',
      metric: 'impressions',
      description: 'Impressions',
      quantity: 188818,
      unit_price: '0.0005',
      amount: usd(9441),
    },
    {
      kind: 'adjustment',
      metric: null,
      description: 'Discount',
      quantity: 1,
      unit_price: '-10.00',
      amount: usd(-1000),
    },
    {
      kind: 'overage',
      metric: 'api_calls',
      description: 'API calls',
      quantity: 16877,
      unit_price: '0.0001',
      amount: usd(169),
    },
  ],
};

function note(
  lines: { invoice_line: number | null; minor: number }[],
  total: number,
): Pick<CreditNote, 'lines' | 'total'> {
  return {
    lines: lines.map((l) => ({ invoice_line: l.invoice_line, description: 'x', quantity: null, amount: usd(l.minor) })),
    total: usd(total),
  };
}

describe('parseMajorAmount', () => {
  it('turns major-unit text into minor units by the currency exponent, exactly', () => {
    expect(parseMajorAmount('12', 'USD')).toEqual({ minor: 1200 });
    expect(parseMajorAmount('12.5', 'USD')).toEqual({ minor: 1250 });
    expect(parseMajorAmount(' 0.07 ', 'USD')).toEqual({ minor: 7 });
    expect(parseMajorAmount('.5', 'EUR')).toEqual({ minor: 50 });
    expect(parseMajorAmount('1,234.56', 'USD')).toEqual({ minor: 123456 });
    expect(parseMajorAmount('1 234.56', 'USD')).toEqual({ minor: 123456 });
    expect(parseMajorAmount('1234', 'JPY')).toEqual({ minor: 1234 });
    expect(parseMajorAmount('1.234', 'BHD')).toEqual({ minor: 1234 });
    // No float rounding: 0.29 * 100 is 28.999… as a float.
    expect(parseMajorAmount('0.29', 'USD')).toEqual({ minor: 29 });
    expect(parseMajorAmount('9007199254.74', 'USD')).toEqual({ minor: 900719925474 });
  });

  it('refuses what is not a positive amount of the currency', () => {
    for (const text of ['', '  ', 'abc', '-5', '+5', '1,2', '1.2.3', '12,34', '1e3', '.', '$5']) {
      expect(parseMajorAmount(text, 'USD').error, text).toBeTruthy();
    }
    expect(parseMajorAmount('0', 'USD').error).toMatch(/above zero/);
    expect(parseMajorAmount('0.00', 'USD').error).toMatch(/above zero/);
    expect(parseMajorAmount('1.234', 'USD').error).toMatch(/2 decimals/);
    expect(parseMajorAmount('5.5', 'JPY').error).toMatch(/whole amount/);
    expect(parseMajorAmount('99999999999999999', 'USD').error).toMatch(/too large/);
  });
});

describe('credit note lines', () => {
  it('sums what earlier credit notes took from each line', () => {
    const credited = creditedByLine([
      note([{ invoice_line: 2, minor: 1000 }], 1000),
      note(
        [
          { invoice_line: 2, minor: 441 },
          { invoice_line: null, minor: 500 },
        ],
        941,
      ),
    ]);
    expect([...credited.entries()]).toEqual([[2, 1441]]);
  });

  it('offers positive lines with something left, by position from 1', () => {
    const lines = creditableLines(invoice, [note([{ invoice_line: 4, minor: 169 }], 169)]);
    expect(lines).toEqual([
      { position: 1, description: 'Starter plan', amount: 4900, left: 4900 },
      { position: 2, description: 'Impressions', amount: 9441, left: 9441 },
    ]);
    expect(creditableTotal(invoice, [note([], 169), note([], 1000)])).toBe(13341);
    expect(creditableTotal(invoice, [note([], 20000)])).toBe(0);
  });
});

describe('buildCreditNoteRequest', () => {
  const base = { ...emptyCreditNoteDraft(), reason: 'product_unsatisfactory' as const };

  it('credits whole lines, partial amounts in minor units, and a free amount', () => {
    const built = buildCreditNoteRequest(
      {
        ...base,
        memo: '  Served twice  ',
        lines: {
          1: { selected: true, amount: '' },
          2: { selected: true, amount: '10.5' },
          4: { selected: false, amount: '1' },
        },
        freeAmount: '25',
        freeDescription: ' Goodwill ',
      },
      invoice,
      false,
    );
    expect(built).toEqual({
      body: {
        reason: 'product_unsatisfactory',
        memo: 'Served twice',
        lines: [{ line: 1 }, { line: 2, amount_minor: 1050 }],
        amount_minor: 2500,
        description: 'Goodwill',
      },
    });
  });

  it('sends a partial amount equal to what is left as the whole line', () => {
    const built = buildCreditNoteRequest(
      { ...base, lines: { 1: { selected: true, amount: '49.00' } } },
      invoice,
      false,
    );
    expect(built.body?.lines).toEqual([{ line: 1 }]);
  });

  it('sends refund_to only for an invoice with payments', () => {
    const draft = { ...base, lines: { 1: { selected: true, amount: '' } }, refundTo: 'stripe_refund' as const };
    expect(buildCreditNoteRequest(draft, invoice, false).body).not.toHaveProperty('refund_to');
    expect(buildCreditNoteRequest(draft, invoice, true).body?.refund_to).toBe('stripe_refund');
  });

  it('says what is missing or wrong, by field', () => {
    expect(buildCreditNoteRequest(emptyCreditNoteDraft(), invoice, false).errors).toEqual({
      reason: 'Choose a reason.',
      lines: 'Choose lines to credit, enter an amount, or both.',
    });
    const errors = buildCreditNoteRequest(
      {
        ...base,
        lines: { 1: { selected: true, amount: '49.01' }, 2: { selected: true, amount: '1.001' } },
        freeAmount: '5',
        memo: 'x'.repeat(1001),
      },
      invoice,
      false,
    ).errors;
    expect(Object.keys(errors ?? {}).sort()).toEqual([lineField(1), lineField(2), 'description', 'memo'].sort());
    expect(errors?.[lineField(1)]).toMatch(/left to credit/);
    expect(
      buildCreditNoteRequest({ ...base, freeDescription: 'Goodwill' }, invoice, false).errors?.amount_minor,
    ).toBeTruthy();
  });

  it('maps the server error param back to the form field of the line sent', () => {
    const body = { reason: 'duplicate' as const, lines: [{ line: 2 }, { line: 4, amount_minor: 100 }] };
    expect(creditNoteField('lines[1].amount_minor', body)).toBe(lineField(4));
    expect(creditNoteField('lines[0].line', body)).toBe(lineField(2));
    expect(creditNoteField('lines[5].line', body)).toBe('lines');
    expect(creditNoteField('amount_minor', body)).toBe('amount_minor');
    expect(creditNoteField('refund_to', body)).toBeNull();
    expect(creditNoteField('Idempotency-Key', body)).toBeNull();
    expect(creditNoteField(null, body)).toBeNull();
  });

  it('names where the part after payment went', () => {
    expect(refundLabel({ refund_to: null, post_payment_amount: usd(0) })).toBe('Lowered the amount due');
    expect(refundLabel({ refund_to: 'credit_balance', post_payment_amount: usd(500) })).toBe('Credit balance');
    expect(refundLabel({ refund_to: 'stripe_refund', post_payment_amount: usd(500) })).toBe('Refunded through Stripe');
  });
});

describe('buildGrantRequest', () => {
  const now = new Date('2026-11-15T12:00:00Z');

  it('sends the amount in minor units of the currency and only the fields set', () => {
    expect(buildGrantRequest({ ...emptyGrantDraft(), amount: '100', description: ' Launch ' }, 'cus_1', now)).toEqual({
      body: { customer_id: 'cus_1', amount_minor: 10000, currency: 'USD', description: 'Launch' },
    });
    expect(
      buildGrantRequest(
        {
          amount: '5000',
          currency: 'jpy',
          kind: 'top_up',
          priority: '5',
          expires: '2027-01-01',
          description: 'Prepaid',
        },
        'cus_1',
        now,
      ),
    ).toEqual({
      body: {
        customer_id: 'cus_1',
        amount_minor: 5000,
        currency: 'JPY',
        kind: 'top_up',
        priority: 5,
        expires_at: '2027-01-01T00:00:00.000Z',
        description: 'Prepaid',
      },
    });
  });

  it('refuses a bad amount, currency, priority, a past or malformed expiry and no description', () => {
    const errors = buildGrantRequest(
      { amount: '1.001', currency: 'USD', kind: 'grant', priority: '101', expires: '2026-11-15', description: '' },
      'cus_1',
      now,
    ).errors;
    expect(Object.keys(errors ?? {}).sort()).toEqual(['amount_minor', 'description', 'expires_at', 'priority']);
    expect(errors?.expires_at).toMatch(/future/);
    expect(
      buildGrantRequest({ ...emptyGrantDraft(), amount: '1', currency: 'US', description: 'x' }, 'c', now).errors,
    ).toEqual({ currency: 'A three-letter ISO 4217 code, e.g. USD.' });
    expect(
      buildGrantRequest({ ...emptyGrantDraft(), amount: '1', expires: '2027-02-30', description: 'x' }, 'c', now).errors
        ?.expires_at,
    ).toMatch(/YYYY-MM-DD/);
  });
});

describe('BillingApi: credit notes and credits', () => {
  function setup(status: number, body: unknown) {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetch = vi.fn((url: string, init?: RequestInit) => {
      calls.push({ url, init: init ?? {} });
      return Promise.resolve(
        new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }),
      );
    }) as unknown as typeof globalThis.fetch;
    return { api: new BillingApi(new ApiClient({ fetch, csrfToken: () => null })), calls };
  }

  it('issues a credit note with its Idempotency-Key, and refuses a short key without a request', async () => {
    const { api, calls } = setup(201, { id: 'cn_1' });
    await api.createCreditNote('inv/1', { reason: 'duplicate', lines: [{ line: 1 }] }, 'credit-note-0001-abcdef');
    expect(calls[0]!.url).toBe('/api/v1/billing/invoices/inv%2F1/credit-notes');
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.body).toBe('{"reason":"duplicate","lines":[{"line":1}]}');
    expect((calls[0]!.init.headers as Record<string, string>)['Idempotency-Key']).toBe('credit-note-0001-abcdef');
    await expect(api.createCreditNote('inv_1', { reason: 'duplicate' }, 'short')).rejects.toBeInstanceOf(RangeError);
    expect(calls).toHaveLength(1);
  });

  it("asks for a customer's credits with the history cursor", async () => {
    const { api, calls } = setup(200, {});
    await api.credits({ customerId: 'cus_1', limit: 20, startingAfter: 'cle_9', endingBefore: 'cle_1' });
    await api.credits();
    expect(calls[0]!.url).toBe('/api/v1/billing/credits?customer_id=cus_1&limit=20&starting_after=cle_9');
    expect(calls[1]!.url).toBe('/api/v1/billing/credits');
  });

  it('grants credits with its Idempotency-Key', async () => {
    const { api, calls } = setup(201, { id: 'cg_1' });
    const body = { customer_id: 'cus_1', amount_minor: 100, currency: 'USD', description: 'x' };
    await api.grantCredits(body, 'grant-credits-0001-abc');
    expect(calls[0]!.url).toBe('/api/v1/billing/credits');
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual(body);
    expect((calls[0]!.init.headers as Record<string, string>)['Idempotency-Key']).toBe('grant-credits-0001-abc');
  });
});
