// The state of a form dialog (its field errors, the failure above the buttons,
// busy while the request runs) with its submit routine (lib/dialogSubmit.ts),
// and the draft whose edits clear the errors of the fields they change.
import { useId, useRef, useState, type RefObject } from 'react';
import type { FieldErrors, SentKey } from '../lib/adminForms';
import { submitDialog, withoutFields, type SubmitSteps } from '../lib/dialogSubmit';
import { focusFirstInvalid, useFocusFirstInvalid } from './FormField';

export interface DialogSubmit {
  errors: FieldErrors;
  /** The message of a failed request that is about no field; shown with the id `failureId`. */
  failure: string | null;
  failureId: string;
  /** While the request runs. */
  busy: boolean;
  /** Clears the errors of `fields` (when they are edited). */
  clearErrors: (fields: readonly string[]) => void;
  /** Submits the form with these steps (see submitDialog). */
  submit: <B>(steps: SubmitSteps<B>) => Promise<void>;
}

/**
 * A form dialog's submit: one request at a time, the form's problems shown on
 * their fields (focusing the first invalid one inside `bodyRef`, the element
 * around the fields), the same Idempotency-Key for a retry of the same body,
 * a server error put on its field or shown as `failure`.
 */
export function useDialogSubmit(bodyRef: RefObject<HTMLElement | null>): DialogSubmit {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const sending = useRef(false);
  const sent = useRef<SentKey | null>(null);
  const focusLater = useFocusFirstInvalid(bodyRef, busy);
  const failureId = useId();

  const clearErrors = (fields: readonly string[]) => {
    if (fields.some((field) => errors[field])) setErrors((current) => withoutFields(current, fields));
  };
  const submit = <B>(steps: SubmitSteps<B>) =>
    submitDialog(
      {
        sending,
        sent,
        setBusy,
        setErrors,
        setFailure,
        focusNow: () => focusFirstInvalid(bodyRef.current),
        focusLater,
      },
      steps,
    );
  return { errors, failure, failureId, busy, clearErrors, submit };
}

/**
 * A dialog's draft and `update(patch, fields)`: merges the patch into the
 * draft and clears the errors of `fields`, the fields it changes.
 */
export function useDialogDraft<D extends object>(
  initial: D | (() => D),
  clearErrors: (fields: readonly string[]) => void,
): [D, (patch: Partial<D>, fields: readonly string[]) => void] {
  const [draft, setDraft] = useState<D>(initial);
  const update = (patch: Partial<D>, fields: readonly string[]) => {
    setDraft((current) => ({ ...current, ...patch }));
    clearErrors(fields);
  };
  return [draft, update];
}
