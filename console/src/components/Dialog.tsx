// A modal dialog on the native <dialog> element: the browser keeps focus
// inside it and Escape cancels. Mount it to open it; it calls `onClose` when
// cancelled (Escape, Cancel), and the parent unmounts it.
import { useEffect, useId, useRef, type FormEvent, type ReactNode } from 'react';
import { Spinner } from './states';

export function Dialog({
  title,
  children,
  actions,
  onClose,
  onSubmit,
  busy = false,
  testId,
  wide = false,
  className,
}: {
  title: string;
  children: ReactNode;
  /** The buttons; a submit button submits `onSubmit`. */
  actions: ReactNode;
  onClose: () => void;
  onSubmit: () => void;
  /** While the request runs, Escape does not close it. */
  busy?: boolean;
  testId?: string;
  /** For forms with rows (e.g. metadata): up to 640 px wide. */
  wide?: boolean;
  /** More classes for the dialog (a size of its own). */
  className?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!busy) onSubmit();
  };
  return (
    <dialog
      ref={ref}
      className={['dialog', wide ? 'dialog-wide' : '', className ?? ''].filter(Boolean).join(' ')}
      aria-labelledby={titleId}
      aria-busy={busy}
      data-testid={testId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose();
      }}
    >
      <form onSubmit={submit} noValidate>
        <div className="dialog-body">
          <h2 id={titleId} className="dialog-title">
            {title}
          </h2>
          {children}
        </div>
        <div className="dialog-actions">{actions}</div>
      </form>
    </dialog>
  );
}

/**
 * A dialog's buttons: Cancel, then the submit button, which shows a spinner
 * and is disabled while `busy`. `describedBy`: the id of the failure message
 * while one is shown, so the button is read with it.
 */
export function DialogActions({
  label,
  busy,
  onCancel,
  disabled = false,
  describedBy,
  danger = false,
  cancelLabel = 'Cancel',
  cancelAutoFocus = false,
}: {
  label: ReactNode;
  busy: boolean;
  onCancel: () => void;
  /** Disabled for another reason than `busy` (e.g. nothing changed). */
  disabled?: boolean;
  describedBy?: string;
  /** A red button, for an action that takes something away. */
  danger?: boolean;
  cancelLabel?: string;
  cancelAutoFocus?: boolean;
}) {
  return (
    <>
      <button
        type="button"
        className="button button-secondary"
        onClick={onCancel}
        disabled={busy}
        autoFocus={cancelAutoFocus}
      >
        {cancelLabel}
      </button>
      <button
        type="submit"
        className={danger ? 'button button-danger' : 'button button-primary'}
        disabled={busy || disabled}
        aria-busy={busy}
        aria-describedby={describedBy}
      >
        {busy && <Spinner />}
        {label}
      </button>
    </>
  );
}

/** Asks before an action that takes something away; the confirm button is red and Cancel has focus. */
export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  busy,
  onConfirm,
  onCancel,
  testId,
}: {
  title: string;
  body: string[];
  confirmLabel: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  testId?: string;
}) {
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      onSubmit={onConfirm}
      busy={busy}
      testId={testId}
      actions={<DialogActions label={confirmLabel} busy={busy} onCancel={onCancel} danger cancelAutoFocus />}
    >
      {body.map((paragraph) => (
        <p key={paragraph}>{paragraph}</p>
      ))}
    </Dialog>
  );
}
