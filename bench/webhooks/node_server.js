// Node side of bench/webhooks/run: the webhook receiver as the usual Express +
// stripe-node + pg system writes it. The raw body is verified with the
// official stripe.webhooks.constructEvent (300 s tolerance), then the event is
// inserted once into billingd's own stripe_webhook_events table (same columns
// and values as src/stripe/webhook_inbox.cpp) through a pg pool.
//
//   PORT=… DATABASE_URL=postgresql://… STRIPE_WEBHOOK_SECRET=whsec_… \
//     [PG_POOL_SIZE=8] node bench/webhooks/node_server.js
//
// Answers 200 {"received":true}, 401 on a bad signature, 500 if the insert fails.
'use strict';

const express = require('express');
const { Pool } = require('pg');
const Stripe = require('stripe');

const port = Number(process.env.PORT || 3000);
const secret = process.env.STRIPE_WEBHOOK_SECRET;
if (!secret || !process.env.DATABASE_URL) {
  console.error('node_server: set DATABASE_URL and STRIPE_WEBHOOK_SECRET');
  process.exit(2);
}
// The API key is never used: only the webhook helpers are called.
const stripe = new Stripe('sk_test_bench_unused');
// 8 connections, as billingd's DATABASE_POOL_SIZE default.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.PG_POOL_SIZE || 8) });

const INSERT =
  'INSERT INTO stripe_webhook_events (stripe_event_id, type, payload, event_created, status, next_attempt_at, ' +
  "created_at) VALUES ($1, $2, $3, $4, 'pending', $5, $5) ON CONFLICT (stripe_event_id) DO NOTHING";

const app = express();

app.get('/health', (req, res) => res.json({ ok: true }));

app.post('/api/v1/webhooks/stripe', express.raw({ type: 'application/json' }), async (req, res) => {
  let event;
  try {
    event = stripe.webhooks.constructEvent(req.body, req.headers['stripe-signature'], secret);
  } catch (err) {
    res.status(401).json({ error: 'signature verification failed' });
    return;
  }
  try {
    await pool.query(INSERT, [event.id, event.type, req.body.toString('utf8'), event.created, Date.now()]);
  } catch (err) {
    console.error(`node_server: insert failed: ${err.message}`);
    res.status(500).json({ error: 'could not record the event' });
    return;
  }
  res.json({ received: true });
});

app.listen(port, '127.0.0.1', (err) => {
  if (err) {
    console.error(`node_server: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  }
  console.error(`node_server: listening on 127.0.0.1:${port}`);
});
