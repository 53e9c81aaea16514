// Newer / Older buttons under a newest-first list paged by cursor
// (lib/paging.ts: cursorPaging), with a line saying what the page holds.
import { ChevronLeft, ChevronRight } from 'lucide-react';
import type { ReactNode } from 'react';

export function CursorPagination({
  label,
  info,
  testId,
  newer,
  older,
  onNewer,
  onOlder,
}: {
  /** The navigation's accessible name, e.g. "Event pages". */
  label: string;
  /** What the page holds: "20 events, Nov 29 to Nov 30". */
  info: ReactNode;
  testId: string;
  newer: string | null;
  older: string | null;
  onNewer: (cursor: string) => void;
  onOlder: (cursor: string) => void;
}) {
  return (
    <nav className="pagination" aria-label={label}>
      <p className="page-info" aria-live="polite" data-testid={testId}>
        {info}
      </p>
      <div className="pagination-buttons">
        <button
          type="button"
          className="button button-secondary"
          disabled={newer === null}
          onClick={() => newer !== null && onNewer(newer)}
        >
          <ChevronLeft aria-hidden="true" size={16} /> Newer
        </button>
        <button
          type="button"
          className="button button-secondary"
          disabled={older === null}
          onClick={() => older !== null && onOlder(older)}
        >
          Older <ChevronRight aria-hidden="true" size={16} />
        </button>
      </div>
    </nav>
  );
}
