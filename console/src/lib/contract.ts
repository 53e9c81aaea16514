// Compile-time check of the console's hand-written types (types.ts) against
// docs/openapi.yaml. Most of the console's types are the generated ones
// (types.ts names them); the ones checked here are written by hand because the
// console narrows the document: fields it leaves optional but billingd always
// sends, and the console relies on, are required in them. `npm run gen:api`
// turns the document into generated/openapi.d.ts; `tsc` then fails here when
//   - a type names a field the document does not have, or misses one it has
//     (at every level of nesting), or
//   - a field's type is not assignable to the documented one.
// This file has no runtime code.
import type { components, paths } from './generated/openapi';
import type * as T from './types';
import type { AGING_BUCKETS, EXPORT_FORMATS, EXPORT_KINDS, TOP_CUSTOMERS_BY } from './analytics';

type Schemas = components['schemas'];

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
            [K in keyof NonNull<Elem<A>> & keyof NonNull<Elem<B>>]: DeepSameKeys<
              NonNull<Elem<A>>[K],
              NonNull<Elem<B>>[K]
            >;
          }[keyof NonNull<Elem<A>> & keyof NonNull<Elem<B>>] extends true
          ? true
          : {
              nested: {
                [K in keyof NonNull<Elem<A>> & keyof NonNull<Elem<B>>]: DeepSameKeys<
                  NonNull<Elem<A>>[K],
                  NonNull<Elem<B>>[K]
                >;
              };
            }
        : SameKeys<NonNull<Elem<A>>, NonNull<Elem<B>>>
      : true
    : true;

type Conforms<Ours, Documented> = [Ours] extends [Documented]
  ? DeepSameKeys<Ours, Documented>
  : { not_assignable: Ours };

function check<X extends true>(): X | undefined {
  return undefined;
}

// Invoices: the document leaves most fields optional (see types.ts); the list's
// items carry no `lines` or `dunning` (the document marks them "only on GET /invoices/{id}").
check<Conforms<T.InvoiceWithLines, Schemas['Invoice']>>();
check<Conforms<T.Invoice, Omit<Schemas['Invoice'], 'lines' | 'dunning'>>>();
type DocumentedInvoicePage = T.Answer<'/api/v1/billing/invoices', 'get'>;
check<
  Conforms<
    T.InvoicePage,
    Omit<DocumentedInvoicePage, 'data'> & { data: Omit<Elem<DocumentedInvoicePage['data']>, 'lines' | 'dunning'>[] }
  >
>();
check<Conforms<T.InvoiceWithLines, T.Answer<'/api/v1/billing/invoices/{id}', 'get'>>>();
check<Conforms<T.DunningCampaignPage, T.Answer<'/api/v1/billing/dunning-campaigns', 'get'>>>();

// Usage history: every field is optional in the document.
check<Conforms<T.UsageHistory, T.Answer<'/api/v1/billing/usage/history', 'get'>>>();

// Reconciliation: findings and several summary fields are optional in the
// document; the history's items carry no totals or findings.
check<Conforms<T.Reconciliation, Schemas['Reconciliation']>>();
check<Conforms<T.ReconciliationSummary, Omit<Schemas['Reconciliation'], 'findings' | 'totals'>>>();
check<Conforms<T.Reconciliation, T.Answer<'/api/v1/billing/reconcile', 'post'>>>();
check<Conforms<T.Reconciliation, T.Answer<'/api/v1/billing/reconciliations/{id}', 'get'>>>();
type DocumentedHistory = T.Answer<'/api/v1/billing/reconciliations', 'get'>;
check<
  Conforms<
    T.ReconciliationPage,
    Omit<DocumentedHistory, 'data'> & { data: Omit<Elem<DocumentedHistory['data']>, 'findings' | 'totals'>[] }
  >
>();

// Answers with another status than 200 resolve to the documented bodies (not never).
type Resolved<X> = [X] extends [never] ? false : true;
check<Conforms<T.Customer, T.AnswerWith<'/api/v1/billing/customers', 'post', 201>>>();
check<Resolved<T.CreatedApiKey>>();
check<Conforms<{ secret: string | null }, Pick<T.CreatedApiKey, 'secret'>>>();
check<Resolved<T.StripeWebhookRetry>>();

// The invoice status filter offers exactly the documented statuses (INVOICE_STATUSES is a runtime list).
type DocumentedStatus = NonNull<paths['/api/v1/billing/invoices']['get']['parameters']['query']>['status'];
check<
  [
    Exclude<NonNull<DocumentedStatus>, 'all' | T.InvoiceStatus>,
    Exclude<T.InvoiceStatus | 'all', NonNull<DocumentedStatus>>,
  ] extends [never, never]
    ? true
    : false
>();

// The analytics page's lists (runtime values it iterates) are exactly the documented enums.
type SameMembers<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never] ? true : false;
check<SameMembers<(typeof AGING_BUCKETS)[number], T.AgingBucketName>>();
check<SameMembers<(typeof EXPORT_KINDS)[number], T.ExportKind>>();
check<SameMembers<(typeof EXPORT_FORMATS)[number], T.ExportFormat>>();
check<SameMembers<(typeof TOP_CUSTOMERS_BY)[number], T.TopCustomersBy>>();
type TopCustomersQuery = NonNull<paths['/api/v1/admin/analytics/top-customers']['get']['parameters']['query']>;
check<SameMembers<(typeof TOP_CUSTOMERS_BY)[number], NonNull<TopCustomersQuery['by']>>>();

export {};
