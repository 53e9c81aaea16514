import { useId } from 'react';
import { useSearchParams } from 'react-router';
import { rememberCustomer, useCustomers } from '../app/customers';

/**
 * Admins: choose the customer whose billing to view. Writes `customer` into the
 * URL (and drops the page number, which belonged to the previous customer).
 */
export function CustomerPicker({ allowAll = false }: { allowAll?: boolean }) {
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

  return <CustomerSelect value={current} onChange={onChange} emptyLabel={allowAll ? 'All customers' : undefined} />;
}

/**
 * A labelled select of the customers (from CustomersProvider), controlled by
 * `value` ("" for none). `emptyLabel` names the empty choice; by default it
 * asks to choose one.
 */
export function CustomerSelect({
  value,
  onChange,
  label = 'Customer',
  emptyLabel,
  disabled = false,
}: {
  value: string;
  onChange: (customerId: string) => void;
  label?: string;
  emptyLabel?: string;
  disabled?: boolean;
}) {
  const id = useId();
  const { data: customers, error, loading } = useCustomers();
  return (
    <div className="customer-picker">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        disabled={disabled || (loading && !customers)}
      >
        <option value="">{emptyLabel ?? (loading ? 'Loading customers…' : 'Choose a customer…')}</option>
        {customers?.map((customer) => (
          <option key={customer.id} value={customer.id}>
            {customer.name}
          </option>
        ))}
        {value && customers && !customers.some((customer) => customer.id === value) && (
          <option value={value}>{value}</option>
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
