import { Navigate } from 'react-router';
import { useSession, useUser } from '../app/session';
import { PageHeader } from '../components/PageHeader';
import { EmptyState } from '../components/states';

/** "/": the billing overview when billing is on, otherwise a short welcome. */
export function HomePage() {
  const { features } = useSession();
  const user = useUser();
  if (features.billing) return <Navigate to={user.role === 'admin' ? '/admin/customers' : '/billing/usage'} replace />;
  return (
    <div className="page">
      <PageHeader title="Welcome" subtitle={`Signed in as ${user.email}`} />
      <EmptyState title="Nothing to show yet">
        <p>Billing is turned off on this server, so there is no usage or invoice to show.</p>
      </EmptyState>
    </div>
  );
}
