// Admins: the customers, searched by name, email, external id or id (?q=, in
// the URL), twenty to a page (?page=). A customer is created once per
// Idempotency-Key (a double submit or a retry of the same form creates one),
// and edited with a PATCH of only what changed (metadata is merged by the
// server: a removed key is sent as null).
import { BarChart3, Coins, FileText, Pencil, Plus, Search, Trash2, X } from 'lucide-react';
import { useEffect, useId, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { rememberCustomer, useCustomers } from '../../app/customers';
import { Dialog, DialogActions } from '../../components/Dialog';
import { EmailAddress } from '../../components/EmailAddress';
import { describedBy, TextField } from '../../components/FormField';
import { EmptyState, ErrorState, LoadingState } from '../../components/states';
import { PagePagination } from '../../components/PagePagination';
import { TableScroll } from '../../components/TableScroll';
import { useDialogDraft, useDialogSubmit } from '../../components/useDialogSubmit';
import {
  CUSTOMERS_PAGE_SIZE,
  customerChange,
  customerViewParams,
  draftOf,
  draftProblems,
  emptyCustomerDraft,
  metadataRow,
  newCustomerBody,
  parseCustomerView,
  rowField,
  serverFieldError,
  type CustomerDraft,
  type FieldErrors,
} from '../../lib/adminForms';
import { api } from '../../lib/billing';
import { formatDate } from '../../lib/format';
import type { Customer, CustomerUpdate, NewCustomer } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { usersPageInfo } from '../../lib/users';

/** How long typing pauses before the search runs. */
const SEARCH_DELAY_MS = 300;

/** Admins: every customer, with a way into their usage and invoices, and to create and edit them. */
export function CustomersPage() {
  useDocumentTitle('Customers');
  const [params, setParams] = useSearchParams();
  const view = parseCustomerView(params);
  const shared = useCustomers();
  const list = useAsync(
    (signal) =>
      api.customers(
        { q: view.q, limit: CUSTOMERS_PAGE_SIZE, offset: (view.page - 1) * CUSTOMERS_PAGE_SIZE },
        { signal },
      ),
    [view.q, view.page],
  );
  const [dialog, setDialog] = useState<{ kind: 'new' } | { kind: 'edit'; customer: Customer } | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const search = (q: string) => setParams(customerViewParams({ q, page: 1 }), { replace: true });
  const toPage = (page: number) => setParams(customerViewParams({ q: view.q, page }));

  const onSaved = (customer: Customer, created: boolean) => {
    setDialog(null);
    setDone(created ? `Created ${customer.name}.` : `Saved the changes to ${customer.name}.`);
    list.reload();
    // The customer pickers (billing pages, users) read the shared list.
    shared.reload();
  };

  const customers = list.data?.data;
  const info = customers ? usersPageInfo(view.page, customers.length, list.data?.next_offset ?? null) : null;

  return (
    <section className="card card-flush" aria-labelledby="customers-title">
      <div className="card-head card-pad card-head-row">
        <div className="card-head-text">
          <h2 id="customers-title">Customers</h2>
          <p className="muted">Choose a customer to see their billing as they see it, or edit their details.</p>
        </div>
        <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'new' })}>
          <Plus aria-hidden="true" size={16} /> New customer
        </button>
      </div>
      <SearchBox value={view.q} onSearch={search} />
      {done && (
        <p className="row-done card-notice" role="status" data-testid="customer-done">
          {done}
        </p>
      )}
      {list.error ? (
        <div className="card-pad">
          <ErrorState error={list.error} title="Customers could not be loaded" onRetry={list.reload} />
        </div>
      ) : !customers || !info ? (
        <div className="card-pad">
          <LoadingState label="Loading customers…" rows={5} />
        </div>
      ) : customers.length === 0 ? (
        <div className="card-pad">
          {view.q ? (
            <EmptyState title="No customers match this search">
              <p>
                Nothing has “{view.q}” in its name, email or external id, or has it as its id.{' '}
                <button type="button" className="link-button" onClick={() => search('')}>
                  Clear the search
                </button>
              </p>
            </EmptyState>
          ) : view.page > 1 ? (
            <EmptyState title="No customers on this page">
              <p>
                <button type="button" className="link-button" onClick={() => toPage(1)}>
                  Go to the first page
                </button>
              </p>
            </EmptyState>
          ) : (
            <EmptyState title="No customers yet">
              <p>Create the first one with “New customer”.</p>
            </EmptyState>
          )}
        </div>
      ) : (
        <>
          <TableScroll label="Customers">
            <table className="table table-stack table-customers" data-testid="customer-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">External id</th>
                  <th scope="col">Email</th>
                  <th scope="col">Country</th>
                  <th scope="col">Since</th>
                  <th scope="col" className="actions-col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody aria-busy={list.loading}>
                {customers.map((customer) => (
                  <CustomerRow
                    key={customer.id}
                    customer={customer}
                    onEdit={() => setDialog({ kind: 'edit', customer })}
                  />
                ))}
              </tbody>
            </table>
          </TableScroll>
          <PagePagination info={info} onPage={toPage} testId="page-info" />
        </>
      )}
      {dialog && (
        <CustomerDialog
          customer={dialog.kind === 'edit' ? dialog.customer : null}
          onCancel={() => setDialog(null)}
          onSaved={onSaved}
        />
      )}
    </section>
  );
}

/**
 * The search field: the URL's `q` runs when typing pauses. Its text follows the
 * URL when that changes elsewhere (back, "Clear the search").
 */
function SearchBox({ value, onSearch }: { value: string; onSearch: (q: string) => void }) {
  const id = useId();
  const [text, setText] = useState(value);
  const [urlValue, setUrlValue] = useState(value);
  if (urlValue !== value) {
    setUrlValue(value);
    if (text.trim() !== value) setText(value);
  }
  const latest = useRef(onSearch);
  useEffect(() => {
    latest.current = onSearch;
  });
  useEffect(() => {
    if (text.trim() === value) return;
    const timer = setTimeout(() => latest.current(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, value]);
  return (
    <div role="search" className="filters search-bar">
      <div className="field search-field">
        <label htmlFor={id}>Search customers</label>
        <div className="input-with-icon">
          <Search aria-hidden="true" size={16} className="input-icon" />
          <input
            id={id}
            type="search"
            value={text}
            maxLength={200}
            autoComplete="off"
            onChange={(event) => setText(event.target.value)}
            onKeyDown={(event) => {
              // Enter searches at once.
              if (event.key === 'Enter') onSearch(text.trim());
            }}
            aria-describedby={`${id}-hint`}
          />
          {text && (
            <button
              type="button"
              className="icon-button input-clear"
              onClick={() => {
                setText('');
                onSearch('');
              }}
            >
              <X aria-hidden="true" size={16} />
              <span className="visually-hidden">Clear the search</span>
            </button>
          )}
        </div>
        <span className="field-hint" id={`${id}-hint`}>
          Part of a name, email or external id (any case), or a customer id.
        </span>
      </div>
    </div>
  );
}

function CustomerRow({ customer, onEdit }: { customer: Customer; onEdit: () => void }) {
  const query = `?customer=${encodeURIComponent(customer.id)}`;
  return (
    <tr data-customer={customer.id}>
      <th scope="row">
        <span className="cell-title">{customer.name}</span>
        <span className="cell-sub">
          <code>{customer.id}</code>
        </span>
      </th>
      <td data-label="External id" data-testid="customer-external-id">
        {customer.external_id ? <code className="cell-code">{customer.external_id}</code> : '—'}
      </td>
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
          <Link
            to={`/billing/credits${query}`}
            className="button button-secondary button-small"
            onClick={() => rememberCustomer(customer.id)}
            title="Credits"
          >
            <Coins aria-hidden="true" size={16} />
            <span className="button-label">Credits</span>
            <span className="visually-hidden"> of {customer.name}</span>
          </Link>
          <button type="button" className="button button-secondary button-small" onClick={onEdit} title="Edit">
            <Pencil aria-hidden="true" size={16} />
            <span className="button-label">Edit</span>
            <span className="visually-hidden"> {customer.name}</span>
          </button>
        </div>
      </td>
    </tr>
  );
}

/** New customer (customer null) or Edit: the same fields, but the currency is fixed once created. */
function CustomerDialog({
  customer,
  onCancel,
  onSaved,
}: {
  customer: Customer | null;
  onCancel: () => void;
  onSaved: (customer: Customer, created: boolean) => void;
}) {
  const creating = customer === null;
  const bodyRef = useRef<HTMLDivElement>(null);
  const form = useDialogSubmit(bodyRef);
  const { errors, busy } = form;
  const [draft, update] = useDialogDraft<CustomerDraft>(
    () => (customer ? draftOf(customer) : emptyCustomerDraft()),
    form.clearErrors,
  );

  const change = customer ? customerChange(customer, draft) : null;
  const unchanged = change !== null && Object.keys(change).length === 0;

  const problems = () => {
    const found = draftProblems(draft, creating);
    return Object.keys(found).length > 0 ? { errors: found } : null;
  };
  const fieldErrors = (caught: unknown) => serverFieldError(caught, draft.metadata);
  // An edit sends a PATCH of what changed (nothing: no request); a creation
  // sends its Idempotency-Key, the same for a retry of the same form.
  const submit = () =>
    customer
      ? form.submit<CustomerUpdate>({
          build: () => problems() ?? (unchanged ? null : { body: change ?? {} }),
          send: async (body) => onSaved(await api.updateCustomer(customer.id, body), false),
          fieldErrors,
        })
      : form.submit<NewCustomer>({
          build: () => problems() ?? { body: newCustomerBody(draft) },
          send: async (body, key) => onSaved(await api.createCustomer(body, key()), true),
          fieldErrors,
        });

  return (
    <Dialog
      title={customer ? `Edit ${customer.name}` : 'New customer'}
      testId="customer-dialog"
      busy={busy}
      wide
      onClose={onCancel}
      onSubmit={() => void submit()}
      actions={
        <DialogActions
          label={creating ? 'Create customer' : 'Save changes'}
          busy={busy}
          disabled={unchanged}
          onCancel={onCancel}
          describedBy={form.failure ? form.failureId : undefined}
        />
      }
    >
      <div className="form form-grid" ref={bodyRef}>
        <TextField
          label="Name"
          field="name"
          value={draft.name}
          onChange={(name) => update({ name }, ['name'])}
          error={errors.name}
          maxLength={200}
          aria-required="true"
          autoComplete="off"
          span
        />
        <TextField
          label="Email"
          field="email"
          type="email"
          value={draft.email}
          onChange={(email) => update({ email }, ['email'])}
          error={errors.email}
          hint={creating ? 'Where invoices go. Optional.' : 'Empty removes it.'}
          maxLength={254}
          autoComplete="off"
        />
        <TextField
          label="External id"
          field="external_id"
          value={draft.externalId}
          onChange={(externalId) => update({ externalId }, ['external_id'])}
          error={errors.external_id}
          hint={creating ? 'Your own id for them; unique. Optional.' : 'Unique among customers. Empty removes it.'}
          maxLength={128}
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          label="Country"
          field="country"
          value={draft.country}
          onChange={(country) => update({ country }, ['country'])}
          error={errors.country}
          hint="ISO 3166-1 code, e.g. DE."
          maxLength={2}
          autoComplete="off"
          spellCheck={false}
        />
        {creating ? (
          <TextField
            label="Currency"
            field="currency"
            value={draft.currency}
            onChange={(currency) => update({ currency }, ['currency'])}
            error={errors.currency}
            hint="ISO 4217 code. It cannot be changed later."
            maxLength={3}
            autoComplete="off"
            spellCheck={false}
          />
        ) : (
          <TextField
            label="Currency"
            field="currency"
            value={draft.currency}
            onChange={() => undefined}
            error={errors.currency}
            hint="Cannot be changed: the customer's invoices and prices are in this currency."
            readOnly
            className="input-readonly"
          />
        )}
        <MetadataEditor
          rows={draft.metadata}
          errors={errors}
          onChange={(metadata, fields) => update({ metadata }, ['metadata', ...fields])}
        />
      </div>
      {form.failure && (
        <p className="form-error" role="alert" id={form.failureId} data-testid="customer-dialog-error">
          {form.failure}
        </p>
      )}
    </Dialog>
  );
}

function MetadataEditor({
  rows,
  errors,
  onChange,
}: {
  rows: CustomerDraft['metadata'];
  errors: FieldErrors;
  onChange: (rows: CustomerDraft['metadata'], fields: string[]) => void;
}) {
  const id = useId();
  const groupError = errors.metadata;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const listRef = useRef<HTMLDivElement>(null);
  const add = () => {
    onChange([...rows, metadataRow()], []);
    // Focus the new row's key.
    requestAnimationFrame(() =>
      listRef.current?.querySelector<HTMLInputElement>('.metadata-row:last-child input')?.focus(),
    );
  };
  return (
    <fieldset
      className="metadata span-2"
      data-field="metadata"
      aria-describedby={describedBy(hintId, groupError && errorId)}
    >
      <legend>Metadata</legend>
      <span className="field-hint" id={hintId}>
        Your own key-value pairs: keys of up to 40 characters without [ ], values of up to 500.
      </span>
      {groupError && (
        <span className="field-error" id={errorId}>
          {groupError}
        </span>
      )}
      <div className="metadata-rows" ref={listRef}>
        {rows.map((row, index) => {
          const rowError = errors[rowField(row)];
          const rowErrorId = `${id}-${row.id}-error`;
          const set = (patch: Partial<typeof row>) =>
            onChange(
              rows.map((r) => (r.id === row.id ? { ...r, ...patch } : r)),
              [rowField(row)],
            );
          return (
            <div className="metadata-row" key={row.id} data-metadata-row={row.key}>
              <div className="field">
                <label htmlFor={`${id}-${row.id}-key`}>
                  Key <span className="visually-hidden">{index + 1}</span>
                </label>
                <input
                  id={`${id}-${row.id}-key`}
                  value={row.key}
                  maxLength={40}
                  autoComplete="off"
                  spellCheck={false}
                  onChange={(event) => set({ key: event.target.value })}
                  aria-invalid={rowError ? true : undefined}
                  aria-describedby={rowError ? rowErrorId : undefined}
                />
              </div>
              <div className="field">
                <label htmlFor={`${id}-${row.id}-value`}>
                  Value <span className="visually-hidden">{index + 1}</span>
                </label>
                <input
                  id={`${id}-${row.id}-value`}
                  value={row.value}
                  maxLength={500}
                  autoComplete="off"
                  onChange={(event) => set({ value: event.target.value })}
                  aria-invalid={rowError ? true : undefined}
                  aria-describedby={rowError ? rowErrorId : undefined}
                />
              </div>
              <button
                type="button"
                className="icon-button metadata-remove"
                title="Remove"
                onClick={() =>
                  onChange(
                    rows.filter((r) => r.id !== row.id),
                    [rowField(row)],
                  )
                }
              >
                <Trash2 aria-hidden="true" size={16} />
                <span className="visually-hidden">Remove {row.key ? `the key ${row.key}` : `row ${index + 1}`}</span>
              </button>
              {rowError && (
                <span className="field-error metadata-error" id={rowErrorId}>
                  {rowError}
                </span>
              )}
            </div>
          );
        })}
      </div>
      <div>
        <button type="button" className="button button-secondary button-small" onClick={add}>
          <Plus aria-hidden="true" size={16} /> Add a key
        </button>
      </div>
    </fieldset>
  );
}
