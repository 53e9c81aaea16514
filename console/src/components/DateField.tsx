// A date typed as YYYY-MM-DD in one text field: one Tab stop, where the
// browser's date input has one per part and one for its calendar button.
// The value is handed on (onChange) only when it is a whole, real date or
// empty; while it is being typed, or when it is not a date, the field keeps
// it and says what is expected.
import { useState } from 'react';
import { isIsoDate } from '../lib/invoiceFilters';

export function DateField({
  id,
  label,
  value,
  onChange,
  hint = 'YYYY-MM-DD',
}: {
  id: string;
  label: string;
  /** YYYY-MM-DD or "". */
  value: string;
  onChange: (value: string) => void;
  hint?: string;
}) {
  // What is typed, for as long as it differs from the value it stands for.
  const [draft, setDraft] = useState<{ text: string; value: string } | null>(null);
  const text = draft && draft.value === value ? draft.text : value;
  const [touched, setTouched] = useState(false);
  const invalid = text.trim() !== '' && !isIsoDate(text.trim());
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        inputMode="numeric"
        autoComplete="off"
        spellCheck={false}
        placeholder={hint}
        maxLength={10}
        value={text}
        aria-invalid={touched && invalid ? true : undefined}
        aria-describedby={hintId}
        onChange={(event) => {
          const typed = event.target.value;
          setDraft({ text: typed, value });
          const trimmed = typed.trim();
          if (trimmed === '' || isIsoDate(trimmed)) {
            setTouched(false);
            if (trimmed !== value) onChange(trimmed);
          }
        }}
        onBlur={() => setTouched(true)}
      />
      {/* The format is the placeholder too: said aloud always, shown again only when it was not followed. */}
      <span id={hintId} className={touched && invalid ? 'field-error' : 'visually-hidden'}>
        {touched && invalid ? `Not a date: use ${hint}.` : hint}
      </span>
    </div>
  );
}
