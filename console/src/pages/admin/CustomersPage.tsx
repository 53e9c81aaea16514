import { BarChart3, FileText } from 'lucide-react';
import { Link } from 'react-router';
import { rememberCustomer, useCustomers } from '../../app/customers';
import { EmailAddress } from '../../components/EmailAddress';
import { EmptyState, ErrorState, LoadingState } from '../../components/states';
import { formatDate } from '../../lib/format';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { TableScroll } from '../../components/TableScroll';

/** Admins: every customer, with a way into their usage and invoices. */
export function CustomersPage() {
  useDocumentTitle('Customers');
  const customers = useCustomers();
  if (customers.error)
    return <ErrorState error={customers.error} title="Customers could not be loaded" onRetry={customers.reload} />;
  if (!customers.data) return <LoadingState label="Loading customers…" rows={5} />;
  if (customers.data.length === 0) {
    return (
      <EmptyState title="No customers yet">
        <p>
          Create one with <code>billingd customer create</code> or <code>POST /api/v1/billing/customers</code>.
        </p>
      </EmptyState>
    );
  }
  return (
    <section className="card card-flush" aria-labelledby="customers-title">
      <div className="card-head card-pad">
        <h2 id="customers-title">Customers</h2>
        <p className="muted">Choose a customer to see their billing as they see it.</p>
      </div>
      <TableScroll label="Customers">
        <table className="table table-stack table-customers" data-testid="customer-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Country</th>
              <th scope="col">Since</th>
              <th scope="col" className="actions-col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {customers.data.map((customer) => {
              const query = `?customer=${encodeURIComponent(customer.id)}`;
              return (
                <tr key={customer.id} data-customer={customer.id}>
                  <th scope="row">
                    <span className="cell-title">{customer.name}</span>
                    <span className="cell-sub">
                      <code>{customer.id}</code>
                    </span>
                  </th>
                  <td data-label="Email">{customer.email ? <EmailAddress email={customer.email} /> : '—'}</td>
                  <td data-label="Country" className="nowrap">
                    {customer.country ?? '—'} · {customer.currency}
                  </td>
                  <td data-label="Since" className="nowrap">
                    {formatDate(customer.created_at)}
                  </td>
                  <td className="actions-cell">
                    <div className="actions actions-text">
                      <Link
                        to={`/billing/usage${query}`}
                        className="button button-secondary button-small"
                        onClick={() => rememberCustomer(customer.id)}
                        title="Usage"
                      >
                        <BarChart3 aria-hidden="true" size={16} />
                        <span className="button-label">Usage</span>
                        <span className="visually-hidden"> of {customer.name}</span>
                      </Link>
                      <Link
                        to={`/billing/invoices${query}`}
                        className="button button-secondary button-small"
                        onClick={() => rememberCustomer(customer.id)}
                        title="Invoices"
                      >
                        <FileText aria-hidden="true" size={16} />
                        <span className="button-label">Invoices</span>
                        <span className="visually-hidden"> of {customer.name}</span>
                      </Link>
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}
