// Where to go after signing in (`?next=` on the login page). The login page
// follows `next` only when this tab put it there for the user who signs in:
//   - a sign-out drops it (the next person on this tab starts at their own home);
//   - when a session ends, the guard records the path and whose it was; another
//     user signing in on the tab goes to their own home, not to the previous
//     user's invoice;
//   - a `next` this tab did not record (a link with ?next=… from elsewhere) is
//     followed only to pages the user's role has, and never to one object
//     (an invoice, a reconciliation run): its list instead.
import type { User } from './types';

const KEY = 'meterline.next';

export interface RecordedNext {
  path: string;
  /** Who was signed in when the session ended; null when nobody was (a bookmark opened in a new tab). */
  userId: string | null;
}

/** Only paths inside the console are followed after login (no open redirect). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login') || next.includes('\\'))
    return '/';
  return next;
}

export function recordNext(path: string, userId: string | null): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ path, userId } satisfies RecordedNext));
  } catch {
    // no storage: an unrecorded `next` is checked against the role instead
  }
}

export function recordedNext(): RecordedNext | null {
  try {
    const text = sessionStorage.getItem(KEY);
    if (!text) return null;
    const parsed = JSON.parse(text) as Partial<RecordedNext>;
    if (typeof parsed.path !== 'string') return null;
    return { path: parsed.path, userId: typeof parsed.userId === 'string' ? parsed.userId : null };
  } catch {
    return null;
  }
}

export function forgetNext(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing recorded
  }
}

/** A path naming one object (an invoice), where the list it belongs to is the safe place to go instead. */
function listOf(pathname: string): string | null {
  if (/^\/billing\/invoices\/[^/]+/.test(pathname)) return '/billing/invoices';
  return null;
}

/**
 * The path to open after `user` signed in, from the login page's `next` and
 * what this tab recorded.
 */
export function resolveNext(
  next: string | null,
  recorded: RecordedNext | null,
  user: Pick<User, 'id' | 'role'>,
): string {
  const path = safeNext(next);
  if (path === '/') return '/';
  const url = new URL(path, 'http://console.invalid');
  // Admin pages are for admins, whoever asked for them.
  if (user.role !== 'admin' && (url.pathname === '/admin' || url.pathname.startsWith('/admin/'))) return '/';
  const mine = recorded !== null && recorded.path === path;
  if (mine) {
    // Recorded for someone else: theirs, not this user's.
    if (recorded.userId !== null && recorded.userId !== user.id) return '/';
    return path;
  }
  // Not recorded here: a link from elsewhere. One object's page becomes its list.
  const list = listOf(url.pathname);
  if (list) return list;
  // A member has one customer: another customer's id in the query means nothing for them.
  if (user.role !== 'admin') url.searchParams.delete('customer');
  const search = url.searchParams.toString();
  return url.pathname + (search ? `?${search}` : '');
}
