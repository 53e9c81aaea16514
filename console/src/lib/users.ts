// The admin Users page's logic, apart from React: its page in the URL
// (?page=2), the request for a role change, what an action asks before it
// runs, and putting a changed user back into the list shown.
import type { Role, User, UserUpdate } from './types';

export const USERS_PAGE_SIZE = 20;

/** The 1-based page from `?page=`; anything malformed is page 1. */
export function parseUsersPage(params: URLSearchParams): number {
  const page = Number(params.get('page'));
  return Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1;
}

export function usersPageQuery(page: number): { limit: number; offset: number } {
  return { limit: USERS_PAGE_SIZE, offset: (page - 1) * USERS_PAGE_SIZE };
}

/** "Showing 21–34" for page 2 with 14 users; the API sends no total, only whether a next page exists. */
export function usersPageInfo(page: number, count: number, nextOffset: number | null) {
  const first = count === 0 ? 0 : (page - 1) * USERS_PAGE_SIZE + 1;
  return {
    page,
    first,
    last: count === 0 ? 0 : first + count - 1,
    hasPrevious: page > 1,
    hasNext: nextOffset !== null,
  };
}

/** The list with `updated` in place of the user with the same id (the others, and their order, kept). */
export function replaceUser(users: readonly User[], updated: User): User[] {
  return users.map((user) => (user.id === updated.id ? updated : user));
}

export type RoleChange =
  { kind: 'change'; change: UserUpdate } | { kind: 'unchanged' } | { kind: 'invalid'; problem: string };

/**
 * The request that makes `user` an admin, or a member of `customerId`.
 * An admin belongs to no customer (the server drops it); a member needs one.
 */
export function roleChange(user: User, role: Role, customerId: string): RoleChange {
  if (role === 'admin')
    return user.role === 'admin' ? { kind: 'unchanged' } : { kind: 'change', change: { role: 'admin' } };
  if (!customerId) return { kind: 'invalid', problem: 'Choose the customer this member belongs to.' };
  if (user.role === 'member' && user.customer_id === customerId) return { kind: 'unchanged' };
  return { kind: 'change', change: { role: 'member', customer_id: customerId } };
}

export type UserAction = 'disable' | 'enable' | 'role' | 'revoke';

export interface Confirmation {
  title: string;
  body: string[];
  confirm: string;
}

/**
 * What to ask before an action that takes access away, or null when the action
 * runs at once (enabling). `self`: the user is the admin who is signed in.
 */
export function confirmationFor(action: UserAction, user: Pick<User, 'email'>, self: boolean): Confirmation | null {
  switch (action) {
    case 'disable':
      return {
        title: `Disable ${user.email}?`,
        body: [
          'They can no longer sign in, and every session of theirs ends on its next request.',
          'You can enable the account again later; that does not bring the ended sessions back.',
          ...(self ? ['This is your own account: you will be signed out.'] : []),
        ],
        confirm: 'Disable',
      };
    case 'revoke':
      return {
        title: `Sign ${user.email} out everywhere?`,
        body: [
          'Every session of theirs, in every browser, ends on its next request. They can sign in again with their password.',
          ...(self ? ['This includes this window: you will have to sign in again.'] : []),
        ],
        confirm: 'Sign out everywhere',
      };
    case 'role':
      // The role dialog is its own confirmation (choose, then "Change role").
      return null;
    case 'enable':
      return null;
  }
}

/**
 * Whether the signed-in admin's own action leaves this window without admin
 * access (then the console reloads who is signed in): disabled, made a member,
 * or signed out everywhere.
 */
export function endsOwnAccess(action: UserAction, self: boolean, updated: User | null): boolean {
  if (!self) return false;
  if (action === 'revoke') return true;
  return updated !== null && (updated.disabled || updated.role !== 'admin');
}

export function roleLabel(role: Role): string {
  return role === 'admin' ? 'Admin' : 'Member';
}
