#!/usr/bin/env python3
"""A fake Stripe that serves GET /v1/invoices list pages quickly, for
bench/reconcile/run.

    python3 stripe_lists.py INVOICES_FILE

INVOICES_FILE has one invoice per line as reconcile_bench's setup phase writes
it: {"id", "meta", "customer", "total", "lines": [[position, amount], ...]}.
Every invoice becomes a Stripe invoice object (API version 2025-10-29.clover
shapes: status, total_taxes, parent; the first 10 lines embedded as a list
object, all of them at /v1/invoices/{id}/lines) and the pages of `limit=100`
are serialized once at start, so a request costs a dict lookup and a write.
Other limits are served too, built per request.

Listens on 127.0.0.1, a free port, and logs {"msg":"listening","port":N} on
stderr; on SIGTERM logs {"msg":"served","requests":N} and exits. The tests'
full fake (tests/fakes/fake_stripe.py) sorts and filters every stored object
on each list call, which is right for tests and far too slow for 100,000.
"""
import json
import signal
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CREATED = int(time.time())


EMBEDDED_LINES = 10  # as Stripe: an invoice embeds its first 10 lines
LINES = {}  # invoice id -> every line, for GET /v1/invoices/{id}/lines


def stripe_invoice(rec, number):
    lines = []
    for position, amount in rec["lines"]:
        lines.append({
            "id": "il_%s_%d" % (rec["id"][3:], position), "object": "line_item", "amount": amount,
            "currency": "usd", "description": "Line %d" % position, "discountable": True,
            "invoice": rec["id"], "livemode": False, "metadata": {"meterline_line": str(position)},
            "parent": {"type": "invoice_item_details",
                       "invoice_item_details": {"invoice_item": "ii_%s_%d" % (rec["id"][3:], position)}},
            "period": {"start": CREATED, "end": CREATED}, "quantity": 1,
        })
    LINES[rec["id"]] = lines
    return {
        "id": rec["id"], "object": "invoice", "amount_due": rec["total"], "amount_paid": 0,
        "amount_remaining": rec["total"], "auto_advance": False, "collection_method": "charge_automatically",
        "created": CREATED, "currency": "usd", "customer": "cus_S" + rec["customer"][4:],
        "lines": {"object": "list", "data": lines[:EMBEDDED_LINES], "has_more": len(lines) > EMBEDDED_LINES,
                  "total_count": len(lines), "url": "/v1/invoices/%s/lines" % rec["id"]},
        "livemode": False,
        "metadata": {"meterline_invoice_id": rec["meta"], "meterline_customer_id": rec["customer"]},
        "number": "BENCH-%06d" % number, "parent": None, "status": "open", "subtotal": rec["total"],
        "total": rec["total"], "total_taxes": [],
    }


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: stripe_lists.py INVOICES_FILE\n")
        sys.exit(2)
    with open(sys.argv[1]) as f:
        invoices = [stripe_invoice(json.loads(line), n) for n, line in enumerate(f, 1)]
    position = {inv["id"]: i for i, inv in enumerate(invoices)}

    def page(start, limit):
        items = invoices[start:start + limit]
        return dumps({"object": "list", "url": "/v1/invoices", "data": items,
                      "has_more": start + limit < len(invoices)})

    # starting_after (the previous page's last id, "" for the first) -> bytes
    pages = {}
    for start in range(0, max(len(invoices), 1), 100):
        pages[invoices[start - 1]["id"] if start else ""] = page(start, 100)
    empty = dumps({"object": "list", "url": "/v1/invoices", "data": [], "has_more": False})
    served = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Request-Id", "req_bench_%d" % served[0])
            self.end_headers()
            self.wfile.write(body)

        def error(self, status, kind, message):
            self.reply(status, dumps({"error": {"type": kind, "message": message}}))

        def lines(self, invoice, query):
            if invoice not in LINES:
                return self.error(404, "invalid_request_error", "No such invoice: '%s'" % invoice)
            items = LINES[invoice]
            after = query.get("starting_after", "")
            if after:
                ids = [line["id"] for line in items]
                if after not in ids:
                    return self.error(400, "invalid_request_error", "Invalid starting_after.")
                items = items[ids.index(after) + 1:]
            try:
                limit = min(int(query.get("limit", "10")), 100)
            except ValueError:
                return self.error(400, "invalid_request_error", "Invalid integer.")
            self.reply(200, dumps({"object": "list", "url": "/v1/invoices/%s/lines" % invoice,
                                   "data": items[:limit], "has_more": len(items) > limit}))

        def do_GET(self):
            served[0] += 1
            url = urllib.parse.urlsplit(self.path)
            if not self.headers.get("Authorization", "").startswith("Bearer sk_"):
                return self.error(401, "invalid_request_error", "Invalid API Key provided.")
            query = dict(urllib.parse.parse_qsl(url.query))
            parts = url.path.split("/")
            if len(parts) == 5 and parts[:3] == ["", "v1", "invoices"] and parts[4] == "lines":
                return self.lines(parts[3], query)
            if url.path != "/v1/invoices":
                return self.error(404, "invalid_request_error", "Unrecognized request URL (GET: %s)." % url.path)
            try:
                limit = int(query.get("limit", "10"))
                created_gte = int(query.get("created[gte]", "0"))
            except ValueError:
                return self.error(400, "invalid_request_error", "Invalid integer.")
            if not 1 <= limit <= 100:
                return self.error(400, "invalid_request_error", "limit must be between 1 and 100.")
            after = query.get("starting_after", "")
            if after and after not in position:
                return self.error(404, "invalid_request_error", "No such invoice: '%s'" % after)
            if created_gte > CREATED:
                return self.reply(200, empty)
            cached = pages.get(after) if limit == 100 else None
            self.reply(200, cached or page(position[after] + 1 if after else 0, limit))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def stop(*_):
        sys.stderr.write(dumps({"msg": "served", "requests": served[0]}).decode() + "\n")
        sys.stderr.flush()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    sys.stderr.write(dumps({"msg": "listening", "port": server.server_address[1],
                            "invoices": len(invoices)}).decode() + "\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
