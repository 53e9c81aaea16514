// A labelled form field whose hint and error are tied to the input with
// aria-describedby (the error also sets aria-invalid), so a screen reader
// reads the problem with the field it belongs to.
import {
  useCallback,
  useEffect,
  useRef,
  useId,
  useState,
  type InputHTMLAttributes,
  type ReactNode,
  type RefObject,
} from 'react';

/** The ids an input describes itself with: its hint and its error, when shown. */
export function describedBy(...ids: (string | false | null | undefined)[]): string | undefined {
  const list = ids.filter(Boolean).join(' ');
  return list || undefined;
}

export function TextField({
  label,
  value,
  onChange,
  error,
  hint,
  field,
  span,
  ...input
}: {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  error?: string;
  hint?: ReactNode;
  /** data-field: the request field it edits (the server's `param`). */
  field?: string;
  /** Takes both columns of a two-column form. */
  span?: boolean;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <div className={span ? 'field span-2' : 'field'} data-field={field}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(hint ? hintId : null, error ? errorId : null)}
        {...input}
      />
      {hint && (
        <span className="field-hint" id={hintId}>
          {hint}
        </span>
      )}
      {error && (
        <span className="field-error" id={errorId}>
          {error}
        </span>
      )}
    </div>
  );
}

/** After a refused submit: focus the first field marked invalid inside `root` (else nothing). */
export function focusFirstInvalid(root: ParentNode | null | undefined): void {
  requestAnimationFrame(() => root?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
}

/**
 * After a refused submit whose errors arrive with other state (a server's
 * answer, the form enabled again): returns a function that asks for the focus
 * to move to the first invalid field inside `root` once that render is on
 * screen and `busy` is false. A frame later (focusFirstInvalid) is not enough
 * there: the render may come after it, and a disabled field takes no focus.
 */
export function useFocusFirstInvalid(root: RefObject<HTMLElement | null>, busy: boolean): () => void {
  const pending = useRef(false);
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    if (!pending.current || busy) return;
    pending.current = false;
    root.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [asked, busy, root]);
  return useCallback(() => {
    pending.current = true;
    setAsked((n) => n + 1);
  }, []);
}
