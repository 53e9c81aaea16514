import { Link } from 'react-router';
import { EmptyState } from '../components/states';

export function NotFoundPage() {
  return (
    <div className="page">
      <EmptyState title="Page not found">
        <p>There is no page at this address.</p>
        <p>
          <Link to="/">Go to your overview</Link>
        </p>
      </EmptyState>
    </div>
  );
}
