/** Which cursor a page of a newest-first list was asked with: at most one is set. */
export interface CursorView {
  /** The page of items older than this id (starting_after). */
  after: string;
  /** The page of items newer than this id (ending_before). */
  before: string;
}

/**
 * Where "Older" and "Newer" lead from a page: the cursor of the page (the
 * last id for older, the first for newer), or null when there is none that
 * way. `hasMore` is in the direction the page was asked (older without a
 * cursor or with `after`, newer with `before`).
 */
export function cursorPaging(
  view: CursorView,
  ids: readonly (number | string)[],
  hasMore: boolean,
): { older: string | null; newer: string | null } {
  if (ids.length === 0) return { older: null, newer: null };
  const first = String(ids[0]);
  const last = String(ids[ids.length - 1]);
  if (view.before) return { older: last, newer: hasMore ? first : null };
  return { older: hasMore ? last : null, newer: view.after ? first : null };
}
