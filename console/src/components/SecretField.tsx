// A secret shown once (an API key's, a webhook endpoint's signing secret):
// read-only, selected when focused, with a button that copies it. Where the
// browser refuses the clipboard, the secret is selected for Ctrl+C instead.
import { Check, Copy } from 'lucide-react';
import { useId, useRef, useState } from 'react';

export function SecretField({
  secret,
  describedBy,
  testId,
  label = 'Secret',
}: {
  secret: string;
  /** The id of the warning that goes with it ("it will not be shown again"). */
  describedBy?: string;
  testId?: string;
  label?: string;
}) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle');

  const onCopy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopy('copied');
    } catch {
      // No clipboard access (an insecure origin, a refused permission): select it for Ctrl+C.
      inputRef.current?.select();
      setCopy('failed');
    }
  };

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="secret-row">
        <input
          ref={inputRef}
          id={id}
          className="secret-input mono"
          value={secret}
          readOnly
          spellCheck={false}
          aria-describedby={describedBy}
          onFocus={(event) => event.target.select()}
          data-testid={testId}
        />
        <button type="button" className="button button-secondary" onClick={() => void onCopy()} autoFocus>
          {copy === 'copied' ? <Check aria-hidden="true" size={16} /> : <Copy aria-hidden="true" size={16} />}
          Copy
        </button>
      </div>
      <span className="field-hint" role="status">
        {copy === 'copied'
          ? 'Copied to the clipboard.'
          : copy === 'failed'
            ? 'The browser did not allow copying: the secret is selected, press Ctrl+C (⌘C on a Mac).'
            : ''}
      </span>
    </div>
  );
}
