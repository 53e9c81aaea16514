// The Webhooks page's dialogs: adding an endpoint (URL, description, events;
// sent with an Idempotency-Key, the server's errors under the field they
// name), and a signing secret shown once, after adding or rotating.
import { useId, useRef } from 'react';
import { Dialog, DialogActions } from '../../components/Dialog';
import { TextField } from '../../components/FormField';
import { SecretField } from '../../components/SecretField';
import { useDialogDraft, useDialogSubmit } from '../../components/useDialogSubmit';
import { serverFieldError } from '../../lib/adminForms';
import { api } from '../../lib/billing';
import { formatDateTime } from '../../lib/format';
import type { CreatedWebhookEndpoint, NewWebhookEndpoint, Role, WebhookEndpoint } from '../../lib/types';
import {
  buildEndpoint,
  DESCRIPTION_MAX,
  emptyEndpointDraft,
  ENDPOINT_FIELDS,
  EVENT_TYPE_HINTS,
  eventTypesFor,
  toggleEvent,
  URL_MAX,
  type EndpointDraft,
} from '../../lib/webhooks';

export function AddEndpointDialog({
  role,
  onCancel,
  onAdded,
}: {
  role: Role;
  onCancel: () => void;
  onAdded: (endpoint: CreatedWebhookEndpoint) => void;
}) {
  const eventsId = useId();
  const bodyRef = useRef<HTMLDivElement>(null);
  const form = useDialogSubmit(bodyRef);
  const { errors, busy } = form;
  const [draft, update] = useDialogDraft<EndpointDraft>(emptyEndpointDraft, form.clearErrors);
  const eventsError = errors.events ? `${eventsId}-error` : undefined;

  const submit = () =>
    form.submit<NewWebhookEndpoint>({
      build: () => buildEndpoint(draft),
      send: async (body, key) => onAdded(await api.createWebhookEndpoint(body, key())),
      fieldErrors: (caught) => serverFieldError(caught, [], ENDPOINT_FIELDS),
    });

  return (
    <Dialog
      title="Add endpoint"
      testId="endpoint-dialog"
      wide
      busy={busy}
      onClose={onCancel}
      onSubmit={() => void submit()}
      actions={
        <DialogActions
          label="Add endpoint"
          busy={busy}
          onCancel={onCancel}
          describedBy={form.failure ? form.failureId : undefined}
        />
      }
    >
      <div className="form" ref={bodyRef}>
        <p className="muted">
          {role === 'admin'
            ? 'An administrator’s endpoint is platform-wide: it gets every customer’s events and the platform’s own.'
            : 'It gets your account’s events.'}
        </p>
        <TextField
          label="URL"
          field="url"
          type="url"
          inputMode="url"
          value={draft.url}
          onChange={(url) => update({ url }, ['url'])}
          error={errors.url}
          hint="Meterline POSTs each event here as JSON, signed in the Meterline-Signature header. An https URL on a public address."
          maxLength={URL_MAX}
          aria-required="true"
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          label="Description"
          field="description"
          value={draft.description}
          onChange={(description) => update({ description }, ['description'])}
          error={errors.description}
          hint="Optional: what receives the events, e.g. ERP sync."
          maxLength={DESCRIPTION_MAX}
          autoComplete="off"
        />
        <fieldset className="choices" data-field="events" aria-describedby={eventsError}>
          <legend>Events</legend>
          <label className="choice">
            <input
              type="checkbox"
              checked={draft.allEvents}
              onChange={(event) => update({ allEvents: event.target.checked }, ['events'])}
              aria-invalid={errors.events ? true : undefined}
              aria-describedby={eventsError}
            />
            <span>
              <span className="choice-title">All events</span>
              <span className="choice-hint">Every type, also those Meterline adds later.</span>
            </span>
          </label>
          <div className="event-choices">
            {eventTypesFor(role).map((type) => (
              <label key={type} className="choice">
                <input
                  type="checkbox"
                  checked={draft.allEvents || draft.events.includes(type)}
                  disabled={draft.allEvents}
                  onChange={(event) =>
                    update({ events: toggleEvent(draft.events, type, event.target.checked) }, ['events'])
                  }
                />
                <span>
                  <span className="choice-title mono">{type}</span>
                  <span className="choice-hint">{EVENT_TYPE_HINTS[type]}</span>
                </span>
              </label>
            ))}
          </div>
          {errors.events && (
            <span className="field-error" id={eventsError}>
              {errors.events}
            </span>
          )}
        </fieldset>
      </div>
      {form.failure && (
        <p className="form-error" role="alert" id={form.failureId} data-testid="endpoint-dialog-error">
          {form.failure}
        </p>
      )}
    </Dialog>
  );
}

/** A signing secret made just now: for a new endpoint, or by a rotation (null: a replayed creation's answer). */
export interface ShownSecret {
  kind: 'added' | 'rotated';
  endpoint: WebhookEndpoint;
  secret: string | null;
}

/** The secret, this once, with a button that copies it; after a rotation, until when the old one still signs. */
export function WebhookSecretDialog({ shown, onClose }: { shown: ShownSecret; onClose: () => void }) {
  const warningId = useId();
  const { endpoint, secret } = shown;
  const overlapUntil = shown.kind === 'rotated' ? endpoint.previous_secret_expires_at : null;
  return (
    <Dialog
      title={shown.kind === 'added' ? 'Endpoint added' : 'Signing secret rotated'}
      testId="webhook-secret-dialog"
      onClose={onClose}
      onSubmit={onClose}
      actions={
        <button type="submit" className="button button-primary">
          {secret ? 'I have copied it' : 'Close'}
        </button>
      }
    >
      <p className="muted endpoint-url">
        <code className="cell-code">{endpoint.url}</code>
      </p>
      {secret ? (
        <>
          <p className="callout callout-warning" id={warningId}>
            <span>
              <strong>Copy the secret now: it will not be shown again.</strong> Your receiver checks each delivery’s
              Meterline-Signature header with it (an HMAC-SHA256 of the timestamp and the body).
            </span>
          </p>
          <SecretField secret={secret} label="Signing secret" describedBy={warningId} testId="webhook-secret" />
          {shown.kind === 'rotated' && (
            <p className="muted" data-testid="rotation-overlap">
              {overlapUntil
                ? `The old secret keeps signing deliveries beside the new one until ${formatDateTime(overlapUntil)}, so your receiver can switch without missing one.`
                : 'The old secret no longer signs deliveries.'}
            </p>
          )}
        </>
      ) : (
        <p className="callout callout-warning">
          The endpoint was added by an earlier request, and its secret was shown then; it cannot be shown again. If it
          was not copied, rotate the endpoint’s secret to get a new one.
        </p>
      )}
    </Dialog>
  );
}
