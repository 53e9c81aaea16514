// Starts a real billingd for the end-to-end tests: a fresh SQLite database in a
// temporary directory, migrated and filled with `billingd demo`, serving the
// built console on a free port of 127.0.0.1. Stripe is the project's fake
// (tests/fakes/fake_stripe.py), so nothing leaves the machine and the
// reconciliation API has a Stripe to compare with.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';

const run = promisify(execFile);

export const DEMO_PASSWORD = 'meterline-demo';

/**
 * Starts a child that logs {"msg":"listening","port":N} on stderr (billingd, the fake Stripe).
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, port: number, log: string[] }>}
 */
async function startListening(name, command, args, env) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const log = [];
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 20 s:\n${log.join('\n')}`)), 20_000);
    const lines = createInterface({ input: child.stderr });
    lines.on('line', (line) => {
      log.push(line);
      if (log.length > 2000) log.shift();
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'listening' && entry.port) {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not a JSON line
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${name} could not be started: ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${log.join('\n')}`));
    });
  });
  return { child, port, log };
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timeout);
}

/**
 * `stripe: false` starts billingd as a fresh install has it: no STRIPE_SECRET_KEY
 * (and no fake Stripe). `env` adds or overrides settings (RATE_LIMITS, BILLING_ENABLED).
 * @param {{ billingd: string, consoleDir: string, fakeStripe: string, stripe?: boolean, env?: Record<string, string> }} options
 * @returns {Promise<{ baseUrl: string, dataDir: string, log: string[], stop: () => Promise<void> }>}
 */
export async function startBillingd({ billingd, consoleDir, fakeStripe, stripe: withStripe = true, env: extra = {} }) {
  await stat(billingd).catch(() => {
    throw new Error(`billingd not found at ${billingd} (build it, or set MTL_BILLINGD)`);
  });
  await stat(path.join(consoleDir, 'index.html')).catch(() => {
    throw new Error(`no console build in ${consoleDir} (run npm run build, or set CONSOLE_DIR)`);
  });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mtl-e2e-'));
  const stripe = withStripe ? await startListening('the fake Stripe', 'python3', [fakeStripe], process.env) : null;
  const env = {
    ...process.env,
    MODE: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${path.join(dataDir, 'meterline.db')}`,
    CONSOLE_DIR: consoleDir,
    // The suite signs in several times and loads many pages from one address.
    RATE_LIMITS: 'billing=100000/15m,auth=10000/1m,admin=100000/15m',
    LOG_LEVEL: 'info',
    // The webhook test's receiver listens on 127.0.0.1, over http.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  };
  for (const name of ['CLICKHOUSE_URL', 'CLICKHOUSE_CLUSTER', 'REDIS_URL', 'STRIPE_WEBHOOK_SECRET', 'PORT', 'HOST'])
    delete env[name];
  if (stripe) {
    env.STRIPE_API_BASE = `http://127.0.0.1:${stripe.port}`;
    env.STRIPE_SECRET_KEY = 'sk_test_meterline_e2e';
  } else {
    delete env.STRIPE_API_BASE;
    delete env.STRIPE_SECRET_KEY;
  }
  Object.assign(env, extra);

  let server;
  try {
    await run(billingd, ['migrate'], { env });
    await run(billingd, ['demo'], { env, maxBuffer: 16 << 20 });
    server = await startListening(
      'billingd',
      billingd,
      ['serve', '--host', '127.0.0.1', '--port', '0', '--console-dir', consoleDir],
      env,
    );
  } catch (error) {
    if (stripe) await stopChild(stripe.child);
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const { child, port, log } = server;

  const stop = async () => {
    await stopChild(child);
    if (stripe) await stopChild(stripe.child);
    await rm(dataDir, { recursive: true, force: true });
  };
  return { baseUrl: `http://127.0.0.1:${port}`, dataDir, log, stop };
}
