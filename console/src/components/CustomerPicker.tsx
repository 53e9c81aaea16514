import { useId } from 'react';
import { useSearchParams } from 'react-router';
import { rememberCustomer, useCustomers } from '../app/customers';

/**
 * Admins: choose the customer whose billing to view. Writes `customer` into the
 * URL (and drops the page number, which belonged to the previous customer).
 */
export function CustomerPicker({ allowAll = false }: { allowAll?: boolean }) {
  const id = useId();
  const { data: customers, error, loading } = useCustomers();
  const [params, setParams] = useSearchParams();
  const current = params.get('customer') ?? '';

  const onChange = (value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set('customer', value);
    else next.delete('customer');
    next.delete('page');
    rememberCustomer(value);
    setParams(next);
  };

  return (
    <div className="customer-picker">
      <label htmlFor={id}>Customer</label>
      <select id={id} value={current} onChange={(event) => onChange(event.target.value)} disabled={loading && !customers}>
        <option value="">{allowAll ? 'All customers' : loading ? 'Loading customers…' : 'Choose a customer…'}</option>
        {customers?.map((customer) => (
          <option key={customer.id} value={customer.id}>
            {customer.name}
          </option>
        ))}
        {current && customers && !customers.some((customer) => customer.id === current) && (
          <option value={current}>{current}</option>
        )}
      </select>
      {error && (
        <span className="field-error" role="alert">
          Customers could not be loaded: {error.message}
        </span>
      )}
    </div>
  );
}
