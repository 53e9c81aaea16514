// The API's JSON shapes as the console uses them. Written by hand (strict: the
// fields billingd always sends are required here) and checked against the
// types generated from docs/openapi.yaml in contract.ts, so a change to the
// document that these do not follow fails `npm run typecheck`.

/** Money: exact integer minor units (cents for USD) with an ISO 4217 currency. */
export interface Amount {
  minor: number;
  currency: string;
  /** Major units as exact text, e.g. "617.28" (not sent for every amount). */
  formatted?: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; request_id: string };
}

export interface FeatureFlags {
  billing: boolean;
  transparency: boolean;
  fraudDetection: boolean;
  abTesting: boolean;
}

export type Role = 'admin' | 'member';

export interface User {
  id: string;
  email: string;
  role: Role;
  customer_id: string | null;
  created_at: string;
  disabled: boolean;
  /** Only while disabled. */
  disabled_at?: string;
}

/** GET /admin/users: a page of console users, newest first. */
export interface UserPage {
  data: User[];
  limit: number;
  offset: number;
  /** null on the last page. */
  next_offset: number | null;
}

/** PATCH /admin/users/{id}: any of these (at least one). A member needs a customer. */
export interface UserUpdate {
  role?: Role;
  customer_id?: string | null;
  disabled?: boolean;
}

export interface Session {
  user: User;
  csrf_token: string;
  expires_at: string;
}

export interface Me {
  user: User;
  csrf_token?: string;
}

export interface Customer {
  id: string;
  name: string;
  email: string | null;
  country: string | null;
  currency: string;
  created_at: string;
}

export interface CustomerPage {
  data: Customer[];
  limit: number;
  offset: number;
}

export interface Period {
  start: string;
  end: string;
}

export interface MetricUsage {
  metric: string;
  name: string;
  unit: string;
  usage: number;
  limit: number;
  /** usage / limit in percent, one decimal; for display only. */
  percent: number;
  overage_units: number;
  /** Exact price of one unit, e.g. "0.0005". */
  overage_unit_price: string;
  /** The price as the catalog states it: `amount` per `per` units. */
  overage_price: { amount: string; per: number };
  overage_amount: Amount;
}

export interface CurrentUsage {
  customer_id: string;
  subscription: { id: string; status: string };
  plan: { id: string; name: string; base_fee: Amount };
  period: Period;
  currency: string;
  metrics: MetricUsage[];
  total_overage: Amount;
}

export type Granularity = 'hour' | 'day';

export interface UsagePoint {
  start: string;
  value: number;
}

export interface UsageHistory {
  customer_id: string;
  granularity: string;
  from: string;
  to: string;
  series: { metric: string; points: UsagePoint[] }[];
}

export const INVOICE_STATUSES = ['draft', 'open', 'paid', 'void', 'uncollectible'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export interface InvoiceLine {
  kind: 'base_fee' | 'overage' | 'adjustment';
  metric: string | null;
  description: string;
  quantity: number;
  /** Exact decimal, major units per unit. */
  unit_price: string;
  amount: Amount;
}

export interface Invoice {
  id: string;
  number: string | null;
  customer_id: string;
  subscription_id: string | null;
  status: InvoiceStatus;
  period: Period;
  currency: string;
  subtotal: Amount;
  tax_rate: string | null;
  tax: Amount;
  total: Amount;
  amount_due: Amount;
  amount_paid: Amount;
  amount_refunded: Amount;
  due_at: string | null;
  stripe_invoice_id: string | null;
  created_at: string;
  finalized_at: string | null;
  paid_at: string | null;
  voided_at: string | null;
}

export interface InvoiceWithLines extends Invoice {
  lines: InvoiceLine[];
}

export interface InvoicePage {
  invoices: Invoice[];
  total: number;
  limit: number;
  offset: number;
  next_offset: number | null;
}

// Reconciliation (contract.ts checks these against docs/openapi.yaml).
export type FindingKind = 'amount_mismatch' | 'missing_in_stripe' | 'missing_internal';

export interface ReconciliationFinding {
  /** null when Stripe has an invoice no customer of ours matches. */
  customer_id: string | null;
  customer_name: string | null;
  kind: FindingKind;
  /** "total", "base_fee", "tax" or a metric id. */
  line: string;
  expected: Amount;
  billed: Amount;
  difference: Amount;
  invoice_id: string | null;
  stripe_invoice_id: string | null;
}

export interface ReconciliationSummary {
  id: string;
  /** "2025-01": the billing periods starting in that month. */
  period: string;
  status: 'completed';
  /** Who ran it (a user or API key id); not in the first contract, so optional. */
  actor?: string;
  created_at: string;
  finished_at?: string;
  subscriptions_checked: number;
  invoices_compared: number;
  findings_count: number;
  expected_total: Amount;
  billed_total: Amount;
  discrepancy_total: Amount;
  currency: string;
  alert_raised: boolean;
  /** Relative tolerance as exact decimal text, e.g. "0.005". */
  tolerance: string;
}

/** One currency's totals: amounts in different currencies are never added. */
export interface ReconciliationTotals {
  currency: string;
  subscriptions_checked: number;
  expected_total: Amount;
  billed_total: Amount;
  discrepancy_total: Amount;
  alert_threshold: Amount;
  alert_raised: boolean;
}

export interface Reconciliation extends ReconciliationSummary {
  /** Every currency's totals, by code; the summary's totals are the main currency's.
   *  Absent from results stored by a billingd before per-currency totals. */
  totals?: ReconciliationTotals[];
  findings: ReconciliationFinding[];
}
