// Cross-check of webhook signatures with Stripe's own library.
//   node stripe_webhook_check.js sign SECRET PAYLOAD_FILE [TIMESTAMP]
//     prints the Stripe-Signature header stripe.webhooks.generateTestHeaderString makes
//   node stripe_webhook_check.js verify SECRET PAYLOAD_FILE HEADER [TOLERANCE]
//     prints "ok" or "error: <message>" from stripe.webhooks.constructEvent
'use strict';
const fs = require('fs');
const Stripe = require('stripe');

const [command, secret, payloadFile, arg4, arg5] = process.argv.slice(2);
const stripe = new Stripe('sk_test_cross_check');
const payload = fs.readFileSync(payloadFile, 'utf8');

if (command === 'sign') {
  const options = { payload, secret };
  if (arg4) options.timestamp = Number(arg4);
  process.stdout.write(stripe.webhooks.generateTestHeaderString(options));
} else if (command === 'verify') {
  try {
    stripe.webhooks.constructEvent(payload, arg4, secret, arg5 ? Number(arg5) : undefined);
    process.stdout.write('ok');
  } catch (err) {
    process.stdout.write('error: ' + err.message);
  }
} else {
  process.stderr.write('usage: stripe_webhook_check.js sign|verify …\n');
  process.exit(2);
}
