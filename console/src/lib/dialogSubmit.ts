// The submit routine of the console's form dialogs, apart from React: one
// request at a time, the form's own problems first (nothing is sent), the
// same Idempotency-Key for a retry of the same body, and a refused request's
// error put on the field it is about, else shown as the dialog's failure.
// The hook around it is useDialogSubmit (components/useDialogSubmit.ts).
import { keyFor, type FieldErrors, type SentKey } from './adminForms';

/**
 * What a dialog's form comes to: the request body, the problems that keep it
 * from being sent, or null when there is nothing to send (an edit that
 * changes nothing).
 */
export type Built<B> = { body: B; errors?: undefined } | { body?: undefined; errors: FieldErrors } | null;

/** What differs from one dialog to the next. */
export interface SubmitSteps<B> {
  /** The body from the form, or its problems (checked before anything is sent; the server checks again). */
  build: () => Built<B>;
  /**
   * Sends the body (and hands the answer on). `key()` is its Idempotency-Key:
   * the previous one again when the body is the same (a double submit, a retry).
   */
  send: (body: B, key: () => string) => Promise<void>;
  /** A failed request's error as field errors, or null when it is about no field of the form. */
  fieldErrors: (error: unknown, body: B) => FieldErrors | null;
}

/** The dialog's state the routine reads and sets. */
export interface SubmitState {
  /** One request at a time, even when submit fires twice before React re-renders. */
  sending: { current: boolean };
  /** The Idempotency-Key of the last request sent, with its body. */
  sent: { current: SentKey | null };
  setBusy: (busy: boolean) => void;
  setErrors: (errors: FieldErrors) => void;
  setFailure: (message: string | null) => void;
  /** The form's own problems are on screen: focus the first invalid field. */
  focusNow: () => void;
  /** The server's field errors: focus the first invalid field once they are rendered and the form is enabled. */
  focusLater: () => void;
}

/** The message shown for a failed request that is about no field. */
export function failureMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `errors` without those of `fields` (a copy). */
export function withoutFields(errors: FieldErrors, fields: readonly string[]): FieldErrors {
  const rest = { ...errors };
  for (const field of fields) delete rest[field];
  return rest;
}

/** Submits a dialog's form: see the top of this file. */
export async function submitDialog<B>(state: SubmitState, steps: SubmitSteps<B>): Promise<void> {
  if (state.sending.current) return;
  const built = steps.build();
  state.setFailure(null);
  if (built?.errors) {
    state.setErrors(built.errors);
    state.focusNow();
    return;
  }
  state.setErrors({});
  if (!built) return;
  const body = built.body;
  state.sending.current = true;
  state.setBusy(true);
  try {
    await steps.send(body, () => {
      state.sent.current = keyFor(state.sent.current, body);
      return state.sent.current.key;
    });
  } catch (caught) {
    const fieldErrors = steps.fieldErrors(caught, body);
    if (fieldErrors) {
      state.setErrors(fieldErrors);
      state.focusLater();
    } else {
      state.setFailure(failureMessage(caught));
    }
  } finally {
    state.sending.current = false;
    state.setBusy(false);
  }
}
