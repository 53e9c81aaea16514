import { Link } from 'react-router';
import { EmptyState } from '../components/states';
import { useDocumentTitle } from '../lib/useDocumentTitle';

export function NotFoundPage() {
  useDocumentTitle('Page not found');
  return (
    <div className="page">
      <EmptyState page title="Page not found">
        <p>There is no page at this address.</p>
        <p>
          <Link to="/">Go to your overview</Link>
        </p>
      </EmptyState>
    </div>
  );
}
