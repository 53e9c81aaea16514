import { describe, expect, it } from 'vitest';
import {
  customerChange,
  customerViewParams,
  draftOf,
  draftProblems,
  emptyCustomerDraft,
  fieldForParam,
  keyFor,
  metadataRow,
  newCustomerBody,
  parseCustomerView,
  parseWebhookView,
  rowField,
  serverFieldError,
  webhookViewParams,
} from '../adminForms';
import { ApiError } from '../api';
import { cursorPaging } from '../paging';
import type { Customer } from '../types';

const echo: Customer = {
  id: 'cus_1',
  name: 'Echo Analytics',
  email: 'billing@echo.example',
  country: 'DE',
  currency: 'EUR',
  created_at: '2026-11-29T22:26:34.943Z',
  external_id: 'pub_48213',
  metadata: { tier: 'gold', account_manager: 'm.keller' },
};

function apiError(param: string | null, status = 400): ApiError {
  return new ApiError({ status, code: 'invalid_request', message: 'Bad.', detail: 'bad', requestId: null, param });
}

describe('customer forms', () => {
  it('sends only the fields filled in on creation, trimmed and upper-cased', () => {
    const draft = {
      ...emptyCustomerDraft(),
      name: ' Echo ',
      country: 'de',
      currency: 'eur',
      externalId: ' pub_1 ',
      metadata: [metadataRow('tier', 'gold'), metadataRow('', '')],
    };
    expect(newCustomerBody(draft)).toEqual({
      name: 'Echo',
      country: 'DE',
      currency: 'EUR',
      external_id: 'pub_1',
      metadata: { tier: 'gold' },
    });
    expect(newCustomerBody({ ...emptyCustomerDraft(), name: 'X', currency: '' })).toEqual({ name: 'X' });
  });

  it('patches only what changed; emptied fields and removed keys are null', () => {
    const draft = draftOf(echo);
    expect(customerChange(echo, draft)).toEqual({});
    draft.email = '';
    draft.externalId = 'pub_48213-eu';
    draft.metadata = draft.metadata.filter((row) => row.key !== 'account_manager');
    draft.metadata[0]!.value = 'platinum';
    draft.metadata.push(metadataRow('region', 'eu-central'));
    expect(customerChange(echo, draft)).toEqual({
      email: null,
      external_id: 'pub_48213-eu',
      metadata: { account_manager: null, tier: 'platinum', region: 'eu-central' },
    });
    // A renamed key: the old one goes, the new one comes.
    const renamed = draftOf(echo);
    renamed.metadata[0]!.key = 'level';
    expect(customerChange(echo, renamed).metadata).toEqual({ tier: null, level: 'gold' });
  });

  it('finds problems before sending', () => {
    const draft = { ...emptyCustomerDraft(), country: 'Germany', currency: 'EURO' };
    const dup = metadataRow('tier', 'a');
    const dup2 = metadataRow('tier', 'b');
    const noKey = metadataRow('', 'x');
    const brackets = metadataRow('a[b]', 'x');
    draft.metadata = [dup, dup2, noKey, brackets];
    const problems = draftProblems(draft, true);
    expect(Object.keys(problems).sort()).toEqual(
      ['country', 'currency', 'name', rowField(dup2), rowField(noKey), rowField(brackets)].sort(),
    );
    expect(draftProblems(draftOf(echo), false)).toEqual({});
  });

  it("puts the server's param on the field it names", () => {
    const rows = [metadataRow('tier', 'x')];
    expect(fieldForParam('email', rows)).toBe('email');
    expect(fieldForParam('metadata[tier]', rows)).toBe(rowField(rows[0]!));
    expect(fieldForParam('metadata[gone]', rows)).toBe('metadata');
    expect(fieldForParam('Idempotency-Key', rows)).toBeNull();
    expect(fieldForParam('emial', rows)).toBeNull();
    expect(fieldForParam(null, rows)).toBeNull();
    expect(serverFieldError(apiError('external_id', 409))).toEqual({ external_id: 'Bad.' });
    expect(serverFieldError(apiError(null))).toBeNull();
    expect(serverFieldError(new Error('x'))).toBeNull();
    expect(serverFieldError(apiError('customer_id'), [], new Set(['name', 'customer_id']))).toEqual({
      customer_id: 'Bad.',
    });
  });

  it('reuses the Idempotency-Key for the same body only', () => {
    let n = 0;
    const make = () => `key-${++n}-0123456789abcdef`;
    const first = keyFor(null, { name: 'Echo' }, make);
    expect(keyFor(first, { name: 'Echo' }, make)).toBe(first);
    expect(keyFor(first, { name: 'Echo 2' }, make).key).not.toBe(first.key);
  });
});

describe('admin lists in the URL', () => {
  it('keeps the customer search and page', () => {
    expect(parseCustomerView(new URLSearchParams('q=acme&page=3'))).toEqual({ q: 'acme', page: 3 });
    expect(parseCustomerView(new URLSearchParams('page=-1'))).toEqual({ q: '', page: 1 });
    expect(customerViewParams({ q: ' acme ', page: 1 }).toString()).toBe('q=acme');
    expect(customerViewParams({ q: '', page: 2 }).toString()).toBe('page=2');
  });

  it('keeps the webhook filter and one cursor', () => {
    expect(parseWebhookView(new URLSearchParams('status=failed&after=23'))).toEqual({
      status: 'failed',
      after: '23',
      before: '',
    });
    expect(parseWebhookView(new URLSearchParams('status=nope&after=x&before=7'))).toEqual({
      status: '',
      after: '',
      before: '7',
    });
    expect(webhookViewParams({ status: 'dead', after: '', before: '9' }).toString()).toBe('status=dead&before=9');
  });

  it('pages by cursor: older after the last id, newer before the first', () => {
    const none = { status: '' as const, after: '', before: '' };
    expect(cursorPaging(none, [30, 29, 28], true)).toEqual({ older: '28', newer: null });
    expect(cursorPaging(none, [30, 29, 28], false)).toEqual({ older: null, newer: null });
    expect(cursorPaging({ ...none, after: '31' }, [30, 29], false)).toEqual({ older: null, newer: '30' });
    expect(cursorPaging({ ...none, before: '27' }, [30, 29, 28], true)).toEqual({ older: '28', newer: '30' });
    expect(cursorPaging({ ...none, before: '27' }, [30, 29, 28], false)).toEqual({ older: '28', newer: null });
    expect(cursorPaging(none, [], false)).toEqual({ older: null, newer: null });
  });
});
