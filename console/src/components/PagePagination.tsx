// Previous / Next buttons under a list paged by number (lib/users.ts:
// usersPageInfo), with "Showing 21–40 · Page 2"; nothing when all fits on one page.
import { ChevronLeft, ChevronRight } from 'lucide-react';

export interface PageInfo {
  page: number;
  first: number;
  last: number;
  hasPrevious: boolean;
  hasNext: boolean;
}

export function PagePagination({
  info,
  onPage,
  testId,
}: {
  info: PageInfo;
  onPage: (page: number) => void;
  testId?: string;
}) {
  if (!info.hasPrevious && !info.hasNext) return null;
  return (
    <nav className="pagination" aria-label="Pages">
      <p className="page-info" aria-live="polite" data-testid={testId}>
        Showing {info.first}–{info.last} · Page {info.page}
      </p>
      <div className="pagination-buttons">
        <button
          type="button"
          className="button button-secondary"
          disabled={!info.hasPrevious}
          onClick={() => onPage(info.page - 1)}
        >
          <ChevronLeft aria-hidden="true" size={16} /> Previous
        </button>
        <button
          type="button"
          className="button button-secondary"
          disabled={!info.hasNext}
          onClick={() => onPage(info.page + 1)}
        >
          Next <ChevronRight aria-hidden="true" size={16} />
        </button>
      </div>
    </nav>
  );
}
