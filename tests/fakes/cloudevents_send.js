// Sends usage to billingd with the official CloudEvents SDK, in each of its
// three HTTP content modes, and prints billingd's answer.
//   node cloudevents_send.js binary|structured|batch BASE_URL BEARER CUSTOMER_ID TIME ID_PREFIX
// prints "<status> <body>". The batch mode has no serializer in the SDK: the
// batch is the SDK's events as JSON under its batch media type, and the SDK's
// own parser is asked to read it back first.
'use strict';
const { CloudEvent, HTTP, CONSTANTS } = require('cloudevents');

const [mode, baseUrl, bearer, customer, time, prefix] = process.argv.slice(2);

function event(n, value) {
  return new CloudEvent({
    specversion: '1.0',
    id: `${prefix}-${n}`,
    source: '/ad-server/eu-1',
    type: 'impressions',
    subject: customer,
    time,
    datacontenttype: 'application/json',
    data: { value },
  });
}

function message() {
  if (mode === 'binary') return HTTP.binary(event(1, 7));
  if (mode === 'structured') return HTTP.structured(event(1, 7));
  if (mode === 'batch') {
    const events = [event(1, 7), event(2, 8)];
    const batch = { headers: { 'content-type': CONSTANTS.MIME_CE_BATCH }, body: JSON.stringify(events) };
    const parsed = HTTP.toEvent(batch);
    if (!Array.isArray(parsed) || parsed.length !== 2) throw new Error('the SDK does not read our batch back');
    return batch;
  }
  throw new Error('mode must be binary, structured or batch');
}

(async () => {
  const { headers, body } = message();
  const response = await fetch(`${baseUrl}/api/v1/usage/events`, {
    method: 'POST',
    headers: { ...headers, Authorization: `Bearer ${bearer}` },
    body,
  });
  process.stdout.write(`${response.status} ${await response.text()}`);
})().catch((err) => {
  process.stdout.write(`error: ${err.message}`);
  process.exit(1);
});
