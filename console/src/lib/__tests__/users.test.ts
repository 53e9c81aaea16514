import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from '../api';
import { BillingApi } from '../billing';
import type { User } from '../types';
import {
  confirmationFor,
  endsOwnAccess,
  parseUsersPage,
  replaceUser,
  roleChange,
  USERS_PAGE_SIZE,
  usersPageInfo,
  usersPageQuery,
} from '../users';

interface Call {
  url: string;
  init: RequestInit;
}

function setup(responder: (call: Call) => Response) {
  const calls: Call[] = [];
  const fetch = vi.fn((url: string, init?: RequestInit) => {
    const call = { url, init: init ?? {} };
    calls.push(call);
    return Promise.resolve(responder(call));
  }) as unknown as typeof globalThis.fetch;
  const http = new ApiClient({ fetch, csrfToken: () => 'csrf-users' });
  return { api: new BillingApi(http), calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const errorBody = (code: string, message: string) => ({ error: { code, message, request_id: 'req_u' } });
const header = (call: Call, name: string) => (call.init.headers as Record<string, string>)[name];

const member: User = {
  id: 'usr_m',
  email: 'member@cobalt.demo',
  role: 'member',
  customer_id: 'cus_cobalt',
  created_at: '2025-01-02T00:00:00Z',
  disabled: false,
};
const admin: User = {
  id: 'usr_a',
  email: 'admin@meterline.demo',
  role: 'admin',
  customer_id: null,
  created_at: '2025-01-01T00:00:00Z',
  disabled: false,
};

describe('users API', () => {
  it('lists a page of users with limit and offset', async () => {
    const page = { object: 'list', data: [member, admin], has_more: false, limit: 20, offset: 20, next_offset: null };
    const { api, calls } = setup(() => json(200, page));
    expect(await api.users({ limit: 20, offset: 20 })).toEqual(page);
    await api.users();
    expect(calls[0]!.url).toBe('/api/v1/admin/users?limit=20&offset=20');
    expect(calls[1]!.url).toBe('/api/v1/admin/users?limit=100&offset=0');
    expect(calls[0]!.init.method).toBe('GET');
    expect(header(calls[0]!, 'X-CSRF-Token')).toBeUndefined();
  });

  it('patches only the fields given, with the CSRF token, and answers the changed user', async () => {
    const disabled = { ...member, disabled: true, disabled_at: '2025-02-01T10:00:00Z' };
    const { api, calls } = setup(() => json(200, disabled));
    expect(await api.updateUser('usr_m', { disabled: true })).toEqual(disabled);
    await api.updateUser('usr_m', { role: 'member', customer_id: 'cus_acme' });
    await api.updateUser('usr_m', { role: 'admin', customer_id: undefined });
    expect(calls.map((c) => [c.init.method, c.url, c.init.body])).toEqual([
      ['PATCH', '/api/v1/admin/users/usr_m', '{"disabled":true}'],
      ['PATCH', '/api/v1/admin/users/usr_m', '{"role":"member","customer_id":"cus_acme"}'],
      ['PATCH', '/api/v1/admin/users/usr_m', '{"role":"admin"}'],
    ]);
    for (const call of calls) {
      expect(header(call, 'X-CSRF-Token')).toBe('csrf-users');
      expect(header(call, 'Content-Type')).toBe('application/json');
    }
  });

  it('sends customer_id null when asked to, and refuses an empty change without a request', async () => {
    const { api, calls } = setup(() => json(200, admin));
    await api.updateUser('usr_a', { customer_id: null });
    expect(calls[0]!.init.body).toBe('{"customer_id":null}');
    await expect(api.updateUser('usr_a', {})).rejects.toBeInstanceOf(RangeError);
    expect(calls).toHaveLength(1);
  });

  it('reports the last-admin conflict with the server message, for the page to show', async () => {
    const { api } = setup(() =>
      json(409, errorBody('conflict', 'this is the last enabled admin; make another admin first')),
    );
    const error = (await api.updateUser('usr_a', { disabled: true }).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(409);
    expect(error.message).toBe('This is the last enabled admin; make another admin first.');
  });

  it('shows validation messages as sent and a missing user in plain words', async () => {
    let answer = json(400, errorBody('invalid_argument', 'a member needs a customer'));
    const { api } = setup(() => answer);
    const invalid = (await api.updateUser('usr_a', { role: 'member' }).catch((e: unknown) => e)) as ApiError;
    expect(invalid.message).toBe('A member needs a customer.');
    answer = json(404, errorBody('not_found', 'no user usr_x'));
    const missing = (await api.updateUser('usr_x', { disabled: false }).catch((e: unknown) => e)) as ApiError;
    expect(missing.isNotFound).toBe(true);
  });

  it('revokes sessions with a POST that answers 204', async () => {
    const { api, calls } = setup(() => new Response(null, { status: 204 }));
    expect(await api.revokeUserSessions('usr/m')).toBeUndefined();
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.url).toBe('/api/v1/admin/users/usr%2Fm/revoke-sessions');
    expect(header(calls[0]!, 'X-CSRF-Token')).toBe('csrf-users');
    expect(calls[0]!.init.body).toBeUndefined();
  });

  it('says a disabled account is disabled, not that the session ended', async () => {
    const { api } = setup(() => json(401, errorBody('account_disabled', 'this account is disabled')));
    const error = (await api.login('member@cobalt.demo', 'pw').catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe('account_disabled');
    expect(error.message).toBe('This account is disabled. Ask an administrator to enable it.');
  });
});

describe('users page logic', () => {
  it('reads the page from the URL and turns it into limit and offset', () => {
    expect(parseUsersPage(new URLSearchParams('page=3'))).toBe(3);
    for (const bad of ['', 'page=0', 'page=-1', 'page=1.5', 'page=x', 'page=99999999'])
      expect(parseUsersPage(new URLSearchParams(bad))).toBe(1);
    expect(usersPageQuery(1)).toEqual({ limit: USERS_PAGE_SIZE, offset: 0 });
    expect(usersPageQuery(3)).toEqual({ limit: USERS_PAGE_SIZE, offset: 2 * USERS_PAGE_SIZE });
  });

  it('describes a page without a total: the range shown, and whether there are more', () => {
    expect(usersPageInfo(1, 20, 20)).toEqual({ page: 1, first: 1, last: 20, hasPrevious: false, hasNext: true });
    expect(usersPageInfo(2, 3, null)).toEqual({ page: 2, first: 21, last: 23, hasPrevious: true, hasNext: false });
    expect(usersPageInfo(4, 0, null)).toMatchObject({ first: 0, last: 0, hasPrevious: true, hasNext: false });
  });

  it('puts the changed user in place of the old one, leaving the rest and their order', () => {
    const list = [admin, member];
    const changed = { ...member, disabled: true, disabled_at: '2025-02-01T10:00:00Z' };
    const next = replaceUser(list, changed);
    expect(next).toEqual([admin, changed]);
    expect(next[0]).toBe(admin);
    expect(list[1]).toBe(member); // not changed in place
    expect(replaceUser(list, { ...changed, id: 'usr_other' })).toEqual(list);
  });

  it('asks for exactly the role change, and a customer for a member', () => {
    expect(roleChange(member, 'admin', 'cus_cobalt')).toEqual({ kind: 'change', change: { role: 'admin' } });
    expect(roleChange(member, 'member', 'cus_cobalt')).toEqual({ kind: 'unchanged' });
    expect(roleChange(member, 'member', 'cus_acme')).toEqual({
      kind: 'change',
      change: { role: 'member', customer_id: 'cus_acme' },
    });
    expect(roleChange(admin, 'admin', '')).toEqual({ kind: 'unchanged' });
    expect(roleChange(admin, 'member', '')).toEqual({
      kind: 'invalid',
      problem: 'Choose the customer this member belongs to.',
    });
    expect(roleChange(admin, 'member', 'cus_acme')).toEqual({
      kind: 'change',
      change: { role: 'member', customer_id: 'cus_acme' },
    });
  });

  it("confirms what takes access away, and warns about one's own account", () => {
    expect(confirmationFor('enable', member, false)).toBeNull();
    expect(confirmationFor('role', member, false)).toBeNull();
    const disable = confirmationFor('disable', member, false)!;
    expect(disable.title).toBe('Disable member@cobalt.demo?');
    expect(disable.confirm).toBe('Disable');
    expect(disable.body.join(' ')).not.toMatch(/your own account/);
    expect(confirmationFor('disable', admin, true)!.body.join(' ')).toMatch(/your own account: you will be signed out/);
    const revoke = confirmationFor('revoke', member, false)!;
    expect(revoke.title).toBe('Sign member@cobalt.demo out everywhere?');
    expect(revoke.confirm).toBe('Sign out everywhere');
    expect(confirmationFor('revoke', admin, true)!.body.join(' ')).toMatch(/This includes this window/);
  });

  it('notices when an admin takes away their own access', () => {
    expect(endsOwnAccess('revoke', true, null)).toBe(true);
    expect(endsOwnAccess('revoke', false, null)).toBe(false);
    expect(endsOwnAccess('disable', true, { ...admin, disabled: true })).toBe(true);
    expect(endsOwnAccess('role', true, { ...admin, role: 'member', customer_id: 'cus_acme' })).toBe(true);
    expect(endsOwnAccess('role', true, admin)).toBe(false);
    expect(endsOwnAccess('disable', false, { ...member, disabled: true })).toBe(false);
  });
});
