// Admins look at one customer at a time: the customer is the `customer` query
// parameter of the billing pages (so a view can be shared), and the last one
// picked is remembered for this browser tab.
import { createContext, useContext, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../lib/billing';
import type { Customer } from '../lib/types';
import { useAsync, type AsyncState } from '../lib/useAsync';
import { useSession, useUser } from './session';

export { rememberCustomer, rememberedCustomer } from '../lib/viewState';

export interface CustomerScope {
  isAdmin: boolean;
  /** The customer to show: an admin's pick (may be ""), or undefined for a member (the server knows theirs). */
  customerId: string | undefined;
  /** `?customer=…` to append to links that stay in this customer's view ("" when none). */
  query: string;
}

export function useCustomerScope(): CustomerScope {
  const user = useUser();
  const [params] = useSearchParams();
  if (user.role !== 'admin') return { isAdmin: false, customerId: undefined, query: '' };
  const customerId = params.get('customer') ?? '';
  return { isAdmin: true, customerId, query: customerId ? `?customer=${encodeURIComponent(customerId)}` : '' };
}

const CustomersContext = createContext<AsyncState<Customer[]> | null>(null);

/**
 * Loads the customer list once for admins (members, and everyone while billing
 * is turned off, get an empty, settled state).
 */
export function CustomersProvider({ children }: { children: ReactNode }) {
  const user = useUser();
  const { features } = useSession();
  const load = user.role === 'admin' && features.billing;
  const state = useAsync(
    async (signal) => (load ? (await api.customers({ limit: 100 }, { signal })).data : []),
    [load],
  );
  return <CustomersContext.Provider value={state}>{children}</CustomersContext.Provider>;
}

export function useCustomers(): AsyncState<Customer[]> {
  const state = useContext(CustomersContext);
  if (!state) throw new Error('useCustomers outside CustomersProvider');
  return state;
}

export function customerName(customers: Customer[] | undefined, id: string): string {
  return customers?.find((customer) => customer.id === id)?.name ?? id;
}
