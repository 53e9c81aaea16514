import { describe, expect, it } from 'vitest';
import { serverFieldError } from '../adminForms';
import { ApiError } from '../api';
import { failureMessage, submitDialog, withoutFields, type Built, type SubmitState } from '../dialogSubmit';

interface Body {
  name: string;
}

/** A dialog's state as plain values, with a log of what the routine did, in order. */
function dialogState() {
  const log: string[] = [];
  const state = {
    sending: { current: false },
    sent: { current: null },
    busy: false,
    errors: {} as Record<string, string>,
    failure: null as string | null,
    log,
    setBusy(busy: boolean) {
      state.busy = busy;
      log.push(`busy ${busy}`);
    },
    setErrors(errors: Record<string, string>) {
      state.errors = errors;
      log.push(`errors ${JSON.stringify(errors)}`);
    },
    setFailure(message: string | null) {
      state.failure = message;
      log.push(`failure ${message}`);
    },
    focusNow: () => log.push('focus now'),
    focusLater: () => log.push('focus later'),
  } satisfies SubmitState & Record<string, unknown>;
  return state;
}

function apiError(param: string | null, message = 'Bad.'): ApiError {
  return new ApiError({ status: 422, code: 'invalid_request', message, detail: message, requestId: null, param });
}

const FIELDS: ReadonlySet<string> = new Set(['name']);

function steps(built: () => Built<Body>, send: (body: Body, key: string) => Promise<void>) {
  return {
    build: built,
    send: (body: Body, key: () => string) => send(body, key()),
    fieldErrors: (caught: unknown) => serverFieldError(caught, [], FIELDS),
  };
}

describe('submitDialog', () => {
  it('sends the body with an Idempotency-Key, busy while it runs', async () => {
    const state = dialogState();
    const sent: [Body, string][] = [];
    await submitDialog(
      state,
      steps(
        () => ({ body: { name: 'a' } }),
        async (body, key) => {
          expect(state.busy).toBe(true);
          expect(state.sending.current).toBe(true);
          sent.push([body, key]);
          await Promise.resolve();
        },
      ),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]?.[0]).toEqual({ name: 'a' });
    expect(sent[0]?.[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(state.log).toEqual(['failure null', 'errors {}', 'busy true', 'busy false']);
    expect(state.sending.current).toBe(false);
  });

  it('shows the form’s problems and sends nothing', async () => {
    const state = dialogState();
    let calls = 0;
    await submitDialog(
      state,
      steps(
        () => ({ errors: { name: 'Enter a name.' } }),
        async () => {
          calls++;
          await Promise.resolve();
        },
      ),
    );
    expect(calls).toBe(0);
    expect(state.errors).toEqual({ name: 'Enter a name.' });
    expect(state.log).toEqual(['failure null', 'errors {"name":"Enter a name."}', 'focus now']);
  });

  it('clears errors and failure but sends nothing when there is nothing to send', async () => {
    const state = dialogState();
    state.errors = { name: 'old' };
    state.failure = 'old';
    let calls = 0;
    await submitDialog(
      state,
      steps(
        () => null,
        async () => {
          calls++;
          await Promise.resolve();
        },
      ),
    );
    expect(calls).toBe(0);
    expect(state.errors).toEqual({});
    expect(state.failure).toBeNull();
    expect(state.busy).toBe(false);
  });

  it('sends one request at a time', async () => {
    const state = dialogState();
    let release = () => {};
    let calls = 0;
    const dialog = steps(
      () => ({ body: { name: 'a' } }),
      (): Promise<void> => {
        calls++;
        // The first request waits for release(); later ones answer at once.
        return calls === 1 ? new Promise((resolve) => (release = resolve)) : Promise.resolve();
      },
    );
    const first = submitDialog(state, dialog);
    await submitDialog(state, dialog);
    expect(calls).toBe(1);
    release();
    await first;
    await submitDialog(state, dialog);
    expect(calls).toBe(2);
  });

  it('reuses the key for a retry of the same body, a new one for another body', async () => {
    const state = dialogState();
    const keys: string[] = [];
    let name = 'a';
    const dialog = steps(
      () => ({ body: { name } }),
      (_body, key) => {
        keys.push(key);
        return Promise.reject(new Error('Network down'));
      },
    );
    await submitDialog(state, dialog);
    await submitDialog(state, dialog);
    name = 'b';
    await submitDialog(state, dialog);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it('puts a server error on its field and focuses it once rendered', async () => {
    const state = dialogState();
    await submitDialog(
      state,
      steps(
        () => ({ body: { name: 'a' } }),
        () => Promise.reject(apiError('name', 'Taken.')),
      ),
    );
    expect(state.errors).toEqual({ name: 'Taken.' });
    expect(state.failure).toBeNull();
    expect(state.log.slice(-3)).toEqual(['errors {"name":"Taken."}', 'focus later', 'busy false']);
  });

  it('shows an error about no field of the form as the failure', async () => {
    const state = dialogState();
    await submitDialog(
      state,
      steps(
        () => ({ body: { name: 'a' } }),
        () => Promise.reject(apiError('Idempotency-Key', 'Key reused.')),
      ),
    );
    expect(state.errors).toEqual({});
    expect(state.failure).toBe('Key reused.');
    expect(state.log).not.toContain('focus later');
    expect(state.busy).toBe(false);
    expect(state.sending.current).toBe(false);
  });

  it('hands the body sent to fieldErrors', async () => {
    const state = dialogState();
    const seen: unknown[] = [];
    await submitDialog(state, {
      build: () => ({ body: { name: 'a' } }),
      send: () => Promise.reject(new Error('x')),
      fieldErrors: (_caught, body) => {
        seen.push(body);
        return null;
      },
    });
    expect(seen).toEqual([{ name: 'a' }]);
  });
});

describe('dialog helpers', () => {
  it('failureMessage: an error’s message, else the value as text', () => {
    expect(failureMessage(new Error('Down.'))).toBe('Down.');
    expect(failureMessage('plain')).toBe('plain');
  });

  it('withoutFields: a copy without the fields given', () => {
    const errors = { name: 'a', email: 'b', country: 'c' };
    expect(withoutFields(errors, ['name', 'country', 'other'])).toEqual({ email: 'b' });
    expect(errors).toEqual({ name: 'a', email: 'b', country: 'c' });
    expect(withoutFields(errors, [])).not.toBe(errors);
  });
});
