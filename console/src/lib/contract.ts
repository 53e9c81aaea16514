// Compile-time check that the console's types (types.ts) agree with
// docs/openapi.yaml. `npm run gen:api` turns the document into
// generated/openapi.d.ts; `tsc` then fails here when
//   - a type names a field the document does not have, or misses one it has
//     (at every level of nesting), or
//   - a field's type is not assignable to the documented one.
// Fields the document leaves optional may be required here: billingd always
// sends them, and the console relies on that.
// This file has no runtime code.
import type { components, paths } from './generated/openapi';
import type * as T from './types';

type Schemas = components['schemas'];
type Json<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer B } } };
}
  ? B
  : never;

type JsonBody<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody: { content: { 'application/json': infer B } };
}
  ? B
  : never;

type Obj = object;
type NonNull<X> = Exclude<X, null | undefined>;
type Elem<X> = X extends readonly (infer E)[] ? E : X;

// true, or an object naming the offending keys (shown in the tsc error).
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : { extra_in_console_type: Exclude<keyof A, keyof B>; missing_from_console_type: Exclude<keyof B, keyof A> };

// Same keys here and in every nested object (arrays compare their elements).
type DeepSameKeys<A, B> =
  NonNull<Elem<A>> extends Obj
    ? NonNull<Elem<B>> extends Obj
      ? SameKeys<NonNull<Elem<A>>, NonNull<Elem<B>>> extends true
        ? {
            [K in keyof NonNull<Elem<A>> & keyof NonNull<Elem<B>>]: DeepSameKeys<NonNull<Elem<A>>[K], NonNull<Elem<B>>[K]>;
          }[keyof NonNull<Elem<A>> & keyof NonNull<Elem<B>>] extends true
          ? true
          : { nested: { [K in keyof NonNull<Elem<A>> & keyof NonNull<Elem<B>>]: DeepSameKeys<NonNull<Elem<A>>[K], NonNull<Elem<B>>[K]> } }
        : SameKeys<NonNull<Elem<A>>, NonNull<Elem<B>>>
      : true
    : true;

type Conforms<Ours, Documented> = [Ours] extends [Documented] ? DeepSameKeys<Ours, Documented> : { not_assignable: Ours };

function check<X extends true>(): X | undefined {
  return undefined;
}

// Schemas.
check<Conforms<T.Amount, Schemas['Amount']>>();
check<Conforms<T.ApiErrorBody, Schemas['ErrorResponse']>>();
check<Conforms<T.FeatureFlags, Schemas['FeatureFlags']>>();
check<Conforms<T.User, Schemas['User']>>();
check<Conforms<T.Session, Schemas['Session']>>();
check<Conforms<T.Customer, Schemas['Customer']>>();
check<Conforms<T.CurrentUsage, Schemas['CurrentUsage']>>();
check<Conforms<T.InvoiceWithLines, Schemas['Invoice']>>();
check<Conforms<T.Invoice, Omit<Schemas['Invoice'], 'lines'>>>();

// Responses of the operations the console calls.
check<Conforms<T.FeatureFlags, Json<'/api/v1/meta/features', 'get', 200>>>();
check<Conforms<T.Session, Json<'/api/v1/auth/login', 'post', 200>>>();
check<Conforms<T.Me, Json<'/api/v1/auth/me', 'get', 200>>>();
check<Conforms<T.CustomerPage, Json<'/api/v1/billing/customers', 'get', 200>>>();
check<Conforms<T.CurrentUsage, Json<'/api/v1/billing/usage/current', 'get', 200>>>();
check<Conforms<T.UsageHistory, Json<'/api/v1/billing/usage/history', 'get', 200>>>();
// The list's items carry no `lines` (the document marks it "only on GET /invoices/{id}").
type DocumentedInvoicePage = Json<'/api/v1/billing/invoices', 'get', 200>;
check<Conforms<T.InvoicePage, Omit<DocumentedInvoicePage, 'invoices'> & { invoices: Omit<Elem<DocumentedInvoicePage['invoices']>, 'lines'>[] }>>();
check<Conforms<T.InvoiceWithLines, Json<'/api/v1/billing/invoices/{id}', 'get', 200>>>();

// Reconciliation: the history's items carry no totals or findings.
check<Conforms<T.Reconciliation, Schemas['Reconciliation']>>();
check<Conforms<T.ReconciliationSummary, Omit<Schemas['Reconciliation'], 'findings' | 'totals'>>>();
check<Conforms<T.Reconciliation, Json<'/api/v1/billing/reconciliations/{id}', 'get', 200>>>();

// Admin: console users.
check<Conforms<T.UserPage, Json<'/api/v1/admin/users', 'get', 200>>>();
check<Conforms<T.User, Json<'/api/v1/admin/users/{id}', 'patch', 200>>>();
check<Conforms<T.UserUpdate, JsonBody<'/api/v1/admin/users/{id}', 'patch'>>>();

// The invoice status filter offers exactly the documented statuses.
type DocumentedStatus = NonNull<paths['/api/v1/billing/invoices']['get']['parameters']['query']>['status'];
check<
  [Exclude<NonNull<DocumentedStatus>, 'all' | T.InvoiceStatus>, Exclude<T.InvoiceStatus | 'all', NonNull<DocumentedStatus>>] extends [never, never]
    ? true
    : false
>();

export {};
