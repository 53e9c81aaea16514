#!/usr/bin/env python3
"""A fake Stripe API for the test suites: the endpoints billingd calls, in
Stripe's wire format (form-encoded requests with bracketed keys, JSON objects
with id/object/status/amount_due/lines, Stripe's error object), with
idempotency keys replayed or refused like Stripe does, and injectable
failures. Test-only; standard library only.

  python3 fake_stripe.py            listens on 127.0.0.1, a free port, and logs
                                    {"msg":"listening","port":N} on stderr

Control endpoints (not Stripe's):
  POST /_fake/fail      {"path": "/v1/invoices", "status": 500, "times": 2,
                         "should_retry": "true"|"false"|null, "delay_ms": 0,
                         "after": false}
                        after=true: the request is carried out, then the
                        connection is dropped (a crash between Stripe's
                        work and our reading of the answer)
  GET  /_fake/requests  every request so far: method, path, params, headers
  POST /_fake/heal      drop the failures not yet used up
  POST /_fake/webhook_endpoint {"url": ".../api/v1/webhooks/stripe", "secret": "whsec_..."}
  GET  /_fake/events    the events Stripe would send, oldest first
  POST /_fake/deliver   {"ids": ["evt_...", ...] | "all"}: sends them now, in
                        that order, signed like Stripe (Stripe-Signature t=,v1=);
                        answers {"results": [{"id", "status", "body"}]}
  POST /_fake/advance   {"seconds": N}: Stripe's clock moves on (event `created`)
  POST /_fake/clock     {"now": unix seconds}: Stripe's clock reads that now
                        (and ticks on), for tests whose billingd runs on a fake clock;
                        webhooks are signed at that time from then on
  POST /_fake/subscription_status {"id": "sub_...", "status": "past_due"}
  POST /_fake/trial_will_end {"id": "sub_..."}
  POST /_fake/payment_failed {"invoice": "in_..."}
  POST /_fake/pay_declines {"invoice": "in_...", "times": 2, "decline_code": "insufficient_funds"}:
                        the next `times` POST /v1/invoices/{id}/pay are declined
                        (402 card_error card_declined; invoice.payment_failed)
  POST /_fake/invoice_currency {"invoice": "in_...", "currency": "eur"}: a
                        mistake made in Stripe (for reconciliation tests)
  POST /_fake/alert_sink   any JSON: kept (an ALERT_WEBHOOK_URL for tests)
  GET  /_fake/alerts       what alert_sink received
  POST /_fake/forget_keys  forget idempotency keys (Stripe keeps them 24 h)
  POST /_fake/reset     forget everything
"""
import copy
import hashlib
import hmac
import json
import random
import re
import string
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {}


def reset():
    STATE.clear()
    STATE.update(customers={}, invoices={}, invoiceitems={}, idempotency={}, failures=[], requests=[],
                 subscriptions={}, charges={}, invoice_payments={}, credit_notes={}, events=[], webhook=None,
                 clock_offset=0,
                 alerts=[], pay_declines={})


def stripe_now():
    """Stripe's clock: real time plus what /_fake/advance and /_fake/clock added."""
    return int(time.time()) + STATE["clock_offset"]


def emit(type_, obj):
    """Records an event the way Stripe would send it (the object as it is now)."""
    STATE["events"].append({"id": new_id("evt"), "object": "event", "api_version": "2025-10-29.clover",
                            "created": stripe_now(), "data": {"object": copy.deepcopy(obj)}, "livemode": False,
                            "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}, "type": type_})


def sign(payload, secret, timestamp):
    mac = hmac.new(secret.encode(), ("%d.%s" % (timestamp, payload)).encode(), hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (timestamp, mac)


def deliver(events):
    """Posts events to the configured endpoint now; returns each answer."""
    results = []
    for event in events:
        payload = json.dumps(event, indent=2)
        request = urllib.request.Request(STATE["webhook"]["url"], data=payload.encode(), method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            # Signed at Stripe's time once a test set it (its billingd runs on that clock), else now.
            "Stripe-Signature": sign(payload, STATE["webhook"]["secret"],
                                     stripe_now() if STATE.get("clock_set") else int(time.time()))})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                results.append({"id": event["id"], "status": response.status, "body": response.read().decode()})
        except urllib.error.HTTPError as e:
            results.append({"id": event["id"], "status": e.code, "body": e.read().decode()})
    return results


reset()


def new_id(prefix):
    return prefix + "_" + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(14))


def parse_form(body):
    """Stripe's nested form keys: a[b][0][c]=v -> {"a": {"b": [{"c": "v"}]}}."""
    out = {}
    for key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt = parts[i + 1] if not last else None
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append({} if not last else None)
                if last:
                    node[index] = value
                else:
                    if not isinstance(node[index], (dict, list)):
                        node[index] = [] if nxt.isdigit() else {}
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if nxt.isdigit() else {})
    return out


def error(status, type_, message, code=None, param=None):
    body = {"error": {"type": type_, "message": message}}
    if code:
        body["error"]["code"] = code
    if param:
        body["error"]["param"] = param
    return status, body


# Like Stripe, an invoice object embeds only the first 10 of its lines, with
# has_more; the rest are read from /v1/invoices/{id}/lines.
EMBEDDED_LINES = 10


def line_views(inv):
    return [{"id": "il_" + item["id"][3:], "object": "line_item", "amount": int(item["amount"]),
             "currency": item["currency"], "description": item.get("description"),
             "metadata": item.get("metadata", {}), "invoice_item": item["id"]}
            for item in (STATE["invoiceitems"][i] for i in inv["item_ids"])]


def invoice_view(inv):
    lines = line_views(inv)
    view = {k: v for k, v in inv.items() if k not in ("item_ids", "applied_balance")}
    total = sum(line["amount"] for line in lines)
    # What is still owed: the total less the customer balance applied at
    # finalization and pre-payment credit notes, less what was paid.
    due = total - inv.get("applied_balance", 0) - inv.get("pre_payment_credit_notes_amount", 0)
    view.update(
        subtotal=total, total=total, total_taxes=[], amount_due=due - view.get("amount_paid", 0),
        amount_remaining=due - view.get("amount_paid", 0),
        lines={"object": "list", "data": lines[:EMBEDDED_LINES], "has_more": len(lines) > EMBEDDED_LINES,
               "total_count": len(lines), "url": "/v1/invoices/%s/lines" % inv["id"]})
    return view


def subscription_view(sub):
    return copy.deepcopy(sub)


def handle(method, path, params):
    now = stripe_now()
    parts = [p for p in path.split("/") if p]
    if parts[:1] != ["v1"]:
        return error(404, "invalid_request_error", "Unrecognized request URL (%s %s)" % (method, path))
    parts = parts[1:]
    if parts == ["balance"] and method == "GET":
        # The read-only call `billingd doctor` checks the key with.
        return 200, {"object": "balance", "available": [], "pending": [], "livemode": False}
    if parts == ["customers"] and method == "POST":
        cus = {"id": new_id("cus"), "object": "customer", "created": now, "balance": 0, "email": params.get("email"),
               "name": params.get("name"), "metadata": params.get("metadata", {}),
               "invoice_settings": {"default_payment_method": None}}
        STATE["customers"][cus["id"]] = cus
        return 200, cus
    if len(parts) == 2 and parts[0] == "customers" and parts[1] != "search" and method == "POST":
        # Updating a customer: the default payment method (what the Customer Portal sets).
        cus = STATE["customers"].get(parts[1])
        if not cus:
            return error(404, "invalid_request_error", "No such customer: '%s'" % parts[1], "resource_missing", "id")
        settings = params.get("invoice_settings", {})
        if "default_payment_method" in settings:
            cus["invoice_settings"]["default_payment_method"] = settings["default_payment_method"] or None
        emit("customer.updated", cus)
        return 200, cus
    if parts == ["billing_portal", "sessions"] and method == "POST":
        if params.get("customer") not in STATE["customers"]:
            return error(400, "invalid_request_error", "No such customer: '%s'" % params.get("customer"),
                         "resource_missing", "customer")
        session = {"id": new_id("bps"), "object": "billing_portal.session", "created": now,
                   "customer": params["customer"], "return_url": params.get("return_url"), "livemode": False,
                   "url": "https://billing.stripe.com/p/session/test_%s" % new_id("ses")}
        return 200, session
    if parts == ["customers", "search"] and method == "GET":
        # Only the one clause we send: metadata['key']:'value'.
        match = re.fullmatch(r"metadata\['([^']+)'\]:'([^']*)'", params.get("query", ""))
        if not match:
            return error(400, "invalid_request_error", "Unsupported search query.", param="query")
        key, value = match.groups()
        found = [c for c in STATE["customers"].values() if c.get("metadata", {}).get(key) == value]
        return 200, {"object": "search_result", "url": "/v1/customers/search", "has_more": False,
                     "next_page": None, "data": found[:int(params.get("limit", 10))]}
    if len(parts) == 3 and parts[0] == "customers" and parts[2] == "balance_transactions" and method == "POST":
        cus = STATE["customers"].get(parts[1])
        if not cus:
            return error(404, "invalid_request_error", "No such customer: '%s'" % parts[1], "resource_missing", "id")
        amount = int(params.get("amount", 0))
        cus["balance"] = cus.get("balance", 0) + amount
        txn = {"id": new_id("cbtxn"), "object": "customer_balance_transaction", "amount": amount,
               "currency": params.get("currency", "usd"), "customer": cus["id"], "created": now,
               "description": params.get("description"), "ending_balance": cus["balance"], "type": "adjustment",
               "metadata": params.get("metadata", {})}
        return 200, txn
    if parts == ["credit_notes"] and method == "POST":
        inv = STATE["invoices"].get(params.get("invoice", ""))
        if not inv:
            return error(400, "invalid_request_error", "No such invoice", "resource_missing", "invoice")
        if inv["status"] not in ("open", "paid", "uncollectible"):
            return error(400, "invalid_request_error", "Credit notes need a finalized invoice.", param="invoice")
        view = invoice_view(inv)
        amount = int(params.get("amount", 0))
        credited = inv.get("pre_payment_credit_notes_amount", 0) + inv.get("post_payment_credit_notes_amount", 0)
        if amount <= 0 or credited + amount > view["total"]:
            return error(400, "invalid_request_error", "The credit note amount is too large.", param="amount")
        pre = min(amount, max(view["amount_remaining"], 0)) if inv["status"] != "paid" else 0
        post = amount - pre
        refund = int(params.get("refund_amount", 0))
        out_of_band = int(params.get("out_of_band_amount", 0))
        credit = int(params.get("credit_amount", 0))
        if refund + out_of_band + credit != post:
            return error(400, "invalid_request_error",
                         "The sum of refund_amount, credit_amount and out_of_band_amount must equal the "
                         "post-payment amount (%d)." % post)
        if refund:
            # Refunded on the invoice's charge, as Stripe does.
            intents = [p["payment"].get("payment_intent") for p in STATE["invoice_payments"].values()
                       if p["invoice"] == inv["id"]]
            charge = next((c for c in STATE["charges"].values() if c["payment_intent"] in intents), None)
            if not charge or charge["amount_refunded"] + refund > charge["amount"]:
                return error(400, "invalid_request_error", "The invoice has no charge to refund that much from.",
                             param="refund_amount")
            charge["amount_refunded"] += refund
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            emit("charge.refunded", charge)
        inv["pre_payment_credit_notes_amount"] = inv.get("pre_payment_credit_notes_amount", 0) + pre
        inv["post_payment_credit_notes_amount"] = inv.get("post_payment_credit_notes_amount", 0) + post
        if inv["status"] in ("open", "uncollectible") and invoice_view(inv)["amount_remaining"] == 0:
            inv["status"] = "paid"
            inv["status_transitions"]["paid_at"] = now
        note = {"id": new_id("cn"), "object": "credit_note", "invoice": inv["id"], "customer": inv["customer"],
                "amount": amount, "currency": inv["currency"], "created": now, "status": "issued",
                "pre_payment_amount": pre, "post_payment_amount": post, "refund_amount": refund,
                "out_of_band_amount": out_of_band or None, "credit_amount": credit,
                "type": "post_payment" if post else "pre_payment", "reason": params.get("reason"),
                "memo": params.get("memo"), "metadata": params.get("metadata", {}),
                "number": "%s-CN-%02d" % (inv.get("number") or "DRAFT",
                                          len([c for c in STATE["credit_notes"].values()
                                               if c["invoice"] == inv["id"]]) + 1)}
        STATE["credit_notes"][note["id"]] = note
        emit("credit_note.created", note)
        return 200, note
    if parts == ["credit_notes"] and method == "GET":
        items = [c for c in STATE["credit_notes"].values()
                 if not params.get("invoice") or c["invoice"] == params["invoice"]]
        items.sort(key=lambda c: (c["created"], c["id"]), reverse=True)
        limit = min(int(params.get("limit", 10)), 100)
        return 200, {"object": "list", "url": "/v1/credit_notes", "has_more": len(items) > limit,
                     "data": items[:limit]}
    if len(parts) == 2 and parts[0] == "customers" and method == "GET":
        cus = STATE["customers"].get(parts[1])
        return (200, cus) if cus else error(404, "invalid_request_error", "No such customer: '%s'" % parts[1],
                                            "resource_missing", "id")
    if parts == ["invoices"] and method == "POST":
        if params.get("customer") not in STATE["customers"]:
            return error(400, "invalid_request_error", "No such customer: '%s'" % params.get("customer"),
                         "resource_missing", "customer")
        inv = {"id": new_id("in"), "object": "invoice", "created": now, "customer": params["customer"],
               "status": "draft", "currency": params.get("currency", "usd"), "auto_advance": params.get("auto_advance") == "true",
               "collection_method": params.get("collection_method", "charge_automatically"),
               "metadata": params.get("metadata", {}), "amount_paid": 0, "number": None, "hosted_invoice_url": None,
               "starting_balance": 0, "ending_balance": None, "applied_balance": 0,
               "pre_payment_credit_notes_amount": 0, "post_payment_credit_notes_amount": 0,
               "status_transitions": {"finalized_at": None, "paid_at": None, "voided_at": None},
               "parent": None, "item_ids": []}
        STATE["invoices"][inv["id"]] = inv
        emit("invoice.created", invoice_view(inv))
        return 200, invoice_view(inv)
    if parts == ["invoices"] and method == "GET":
        items = sorted(STATE["invoices"].values(), key=lambda i: (i["created"], i["id"]), reverse=True)
        if params.get("customer"):
            items = [i for i in items if i["customer"] == params["customer"]]
        created = params.get("created")
        if isinstance(created, dict) and created.get("gte"):
            items = [i for i in items if i["created"] >= int(created["gte"])]
        if params.get("starting_after"):
            ids = [i["id"] for i in items]
            if params["starting_after"] in ids:
                items = items[ids.index(params["starting_after"]) + 1:]
        limit = min(int(params.get("limit", 10)), 100)
        return 200, {"object": "list", "url": "/v1/invoices", "has_more": len(items) > limit,
                     "data": [invoice_view(i) for i in items[:limit]]}
    if len(parts) >= 2 and parts[0] == "invoices":
        inv = STATE["invoices"].get(parts[1])
        if not inv:
            return error(404, "invalid_request_error", "No such invoice: '%s'" % parts[1], "resource_missing", "id")
        if len(parts) == 2 and method == "GET":
            return 200, invoice_view(inv)
        if parts[2:] == ["lines"] and method == "GET":
            lines = line_views(inv)
            if params.get("starting_after"):
                ids = [line["id"] for line in lines]
                if params["starting_after"] not in ids:
                    return error(400, "invalid_request_error", "Invalid starting_after", param="starting_after")
                lines = lines[ids.index(params["starting_after"]) + 1:]
            limit = min(int(params.get("limit", 10)), 100)
            return 200, {"object": "list", "url": "/v1/invoices/%s/lines" % inv["id"],
                         "has_more": len(lines) > limit, "data": lines[:limit]}
        if parts[2:] == ["finalize"] and method == "POST":
            if inv["status"] != "draft":
                return error(400, "invalid_request_error", "This invoice is already finalized.", "invoice_not_editable")
            inv["status"] = "open"
            inv["number"] = "FAKE-%04d" % (len([i for i in STATE["invoices"].values() if i["number"]]) + 1)
            inv["hosted_invoice_url"] = "https://invoice.stripe.com/i/acct_fake/test_%s" % inv["id"]
            inv["status_transitions"]["finalized_at"] = now
            # The customer's credit balance (negative) pays what it can, as Stripe applies it.
            cus = STATE["customers"].get(inv["customer"], {})
            balance = cus.get("balance", 0)
            applied = min(-balance, invoice_view(inv)["amount_due"]) if balance < 0 else 0
            inv.update(starting_balance=balance, ending_balance=balance + applied, applied_balance=applied)
            if cus:
                cus["balance"] = balance + applied
            # Nothing left to pay (a zero total, or the balance covered it): paid at once, as in Stripe.
            if invoice_view(inv)["amount_due"] == 0:
                inv["status"] = "paid"
                inv["status_transitions"]["paid_at"] = now
            emit("invoice.finalized", invoice_view(inv))
            return 200, invoice_view(inv)
        if parts[2:] == ["pay"] and method == "POST":
            if inv["status"] not in ("open", "uncollectible"):
                return error(400, "invalid_request_error", "Invoice is not open.", "invoice_not_open")
            decline = STATE["pay_declines"].get(inv["id"])
            if decline and decline["times"] > 0 and params.get("paid_out_of_band") != "true":
                # A declined charge: the invoice stays open, its attempt count grows (as in Stripe).
                decline["times"] -= 1
                inv["attempt_count"] = inv.get("attempt_count", 0) + 1
                inv["attempted"] = True
                charge = {"id": new_id("ch"), "object": "charge", "amount": invoice_view(inv)["amount_due"],
                          "amount_refunded": 0, "refunded": False, "currency": inv["currency"],
                          "customer": inv["customer"], "status": "failed", "paid": False, "created": now,
                          "failure_code": "card_declined", "outcome": {"type": "issuer_declined"}}
                STATE["charges"][charge["id"]] = charge
                emit("charge.failed", charge)
                emit("invoice.payment_failed", invoice_view(inv))
                status, body = error(402, "card_error", "Your card has insufficient funds.", "card_declined")
                body["error"]["decline_code"] = decline.get("decline_code", "insufficient_funds")
                return status, body
            view = invoice_view(inv)
            inv["status"] = "paid"
            inv["amount_paid"] = view["amount_due"]
            inv["status_transitions"]["paid_at"] = now
            if params.get("paid_out_of_band") != "true":
                intent = new_id("pi")
                charge = {"id": new_id("ch"), "object": "charge", "amount": view["amount_due"], "amount_refunded": 0,
                          "refunded": False, "currency": inv["currency"], "customer": inv["customer"],
                          "payment_intent": intent, "status": "succeeded", "paid": True, "created": now}
                STATE["charges"][charge["id"]] = charge
                payment = {"id": new_id("inpay"), "object": "invoice_payment", "invoice": inv["id"],
                           "amount_paid": view["amount_due"], "amount_requested": view["amount_due"],
                           "currency": inv["currency"],
                           "is_default": True, "status": "paid", "created": now,
                           "payment": {"type": "payment_intent", "payment_intent": intent}}
                STATE["invoice_payments"][payment["id"]] = payment
                emit("charge.succeeded", charge)
                emit("invoice.payment_succeeded", invoice_view(inv))
            emit("invoice.paid", invoice_view(inv))
            return 200, invoice_view(inv)
        if parts[2:] == ["void"] and method == "POST":
            if inv["status"] not in ("open", "uncollectible"):
                return error(400, "invalid_request_error", "Only open invoices can be voided.", "invoice_not_open")
            inv["status"] = "void"
            inv["status_transitions"]["voided_at"] = now
            emit("invoice.voided", invoice_view(inv))
            return 200, invoice_view(inv)
        if parts[2:] == ["mark_uncollectible"] and method == "POST":
            if inv["status"] != "open":
                return error(400, "invalid_request_error", "Invoice is not open.", "invoice_not_open")
            inv["status"] = "uncollectible"
            emit("invoice.marked_uncollectible", invoice_view(inv))
            return 200, invoice_view(inv)
    if parts == ["invoiceitems"] and method == "POST":
        inv = STATE["invoices"].get(params.get("invoice", ""))
        if params.get("invoice") and not inv:
            return error(400, "invalid_request_error", "No such invoice", "resource_missing", "invoice")
        if inv and inv["status"] != "draft":
            return error(400, "invalid_request_error", "Invoice is not editable", "invoice_not_editable")
        item = {"id": new_id("ii"), "object": "invoiceitem", "customer": params.get("customer"),
                "invoice": params.get("invoice"), "amount": int(params.get("amount", 0)),
                "currency": params.get("currency", "usd"), "description": params.get("description"),
                "metadata": params.get("metadata", {})}
        STATE["invoiceitems"][item["id"]] = item
        if inv:
            inv["item_ids"].append(item["id"])
        return 200, item
    if len(parts) == 2 and parts[0] == "charges" and method == "GET":
        charge = STATE["charges"].get(parts[1])
        return (200, charge) if charge else error(404, "invalid_request_error", "No such charge: '%s'" % parts[1],
                                                  "resource_missing", "id")
    if parts == ["refunds"] and method == "POST":
        charge = STATE["charges"].get(params.get("charge", ""))
        if not charge:
            return error(400, "invalid_request_error", "No such charge", "resource_missing", "charge")
        amount = int(params.get("amount", charge["amount"] - charge["amount_refunded"]))
        if amount <= 0 or charge["amount_refunded"] + amount > charge["amount"]:
            return error(400, "invalid_request_error", "Refund amount is greater than unrefunded amount on charge",
                         "amount_too_large", "amount")
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = {"id": new_id("re"), "object": "refund", "amount": amount, "charge": charge["id"],
                  "currency": charge["currency"], "payment_intent": charge["payment_intent"], "status": "succeeded",
                  "created": now}
        emit("refund.created", refund)
        emit("charge.refunded", charge)
        return 200, refund
    if parts == ["invoice_payments"] and method == "GET":
        wanted = params.get("payment", {})
        items = [p for p in STATE["invoice_payments"].values()
                 if (not params.get("invoice") or p["invoice"] == params["invoice"])
                 and (not wanted.get("payment_intent") or p["payment"].get("payment_intent") == wanted["payment_intent"])]
        return 200, {"object": "list", "url": "/v1/invoice_payments", "has_more": False, "data": items}
    if parts == ["subscriptions"] and method == "POST":
        if params.get("customer") not in STATE["customers"]:
            return error(400, "invalid_request_error", "No such customer: '%s'" % params.get("customer"),
                         "resource_missing", "customer")
        trial_end = int(params["trial_end"]) if params.get("trial_end") else None
        sub = {"id": new_id("sub"), "object": "subscription", "customer": params["customer"], "created": now,
               "status": "trialing" if trial_end else "active", "trial_end": trial_end, "canceled_at": None,
               "ended_at": None, "cancel_at_period_end": False, "metadata": params.get("metadata", {}),
               "items": {"object": "list", "data": [], "has_more": False}}
        STATE["subscriptions"][sub["id"]] = sub
        emit("customer.subscription.created", sub)
        return 200, subscription_view(sub)
    if len(parts) == 2 and parts[0] == "subscriptions":
        sub = STATE["subscriptions"].get(parts[1])
        if not sub:
            return error(404, "invalid_request_error", "No such subscription: '%s'" % parts[1], "resource_missing", "id")
        if method == "GET":
            return 200, subscription_view(sub)
        if method == "DELETE":
            if sub["status"] == "canceled":
                return error(400, "invalid_request_error", "This subscription is already canceled.")
            sub.update(status="canceled", canceled_at=now, ended_at=now)
            emit("customer.subscription.deleted", sub)
            return 200, subscription_view(sub)
    return error(404, "invalid_request_error", "Unrecognized request URL (%s: %s)" % (method, path))


def control_action(path, body):
    """Changes only Stripe itself can make (a bank declines, time passes)."""
    if path == "/_fake/alert_sink":
        STATE["alerts"].append(body)
        return {"ok": True}
    if path == "/_fake/webhook_endpoint":
        STATE["webhook"] = {"url": body["url"], "secret": body["secret"]}
        return {"ok": True}
    if path == "/_fake/advance":
        STATE["clock_offset"] += int(body["seconds"])
        return {"ok": True}
    if path == "/_fake/clock":
        STATE["clock_offset"] = int(body["now"]) - int(time.time())
        STATE["clock_set"] = True
        return {"ok": True}
    if path == "/_fake/subscription_status":
        sub = STATE["subscriptions"][body["id"]]
        sub["status"] = body["status"]
        emit("customer.subscription.updated", sub)
        return {"ok": True}
    if path == "/_fake/trial_will_end":
        emit("customer.subscription.trial_will_end", STATE["subscriptions"][body["id"]])
        return {"ok": True}
    if path == "/_fake/invoice_currency":
        STATE["invoices"][body["invoice"]]["currency"] = body["currency"]
        return {"ok": True}
    if path == "/_fake/pay_declines":
        STATE["pay_declines"][body["invoice"]] = {"times": int(body.get("times", 1)),
                                                   "decline_code": body.get("decline_code", "insufficient_funds")}
        return {"ok": True}
    if path == "/_fake/payment_failed":
        inv = STATE["invoices"][body["invoice"]]
        inv["attempt_count"] = inv.get("attempt_count", 0) + 1
        emit("invoice.payment_failed", invoice_view(inv))
        return {"ok": True}
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_" + new_id("x")[2:])
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if url.path.startswith("/_fake/"):
            return self.control(method, url.path, body)
        params = parse_form(body if method == "POST" else url.query)
        with LOCK:
            STATE["requests"].append({"method": method, "path": url.path, "params": params, "raw": body or url.query,
                                      "headers": {k: v for k, v in self.headers.items()
                                                  if k.lower() in ("idempotency-key", "stripe-version", "content-type")},
                                      "authorized": (self.headers.get("Authorization") or "").startswith("Bearer sk_")})
            failure = next((f for f in STATE["failures"] if url.path.startswith(f["path"]) and f["times"] > 0
                            and (f.get("method") in (None, method))), None)
            if failure:
                failure["times"] -= 1
        if failure and failure.get("after"):
            self.serve(method, url, body, params)  # do the work, answer nothing
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if failure:
            time.sleep(failure.get("delay_ms", 0) / 1000.0)
            if failure.get("status", 0) == 0:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            headers = {}
            if failure.get("should_retry") is not None:
                headers["Stripe-Should-Retry"] = failure["should_retry"]
            status, err = error(failure["status"], "api_error" if failure["status"] >= 500 else "rate_limit_error"
                                if failure["status"] == 429 else "invalid_request_error", "Injected failure")
            return self.send(status, err, headers)
        result = self.serve(method, url, body, params)
        self.send(*result)

    def serve(self, method, url, body, params):
        """Stripe's behaviour for one request: (status, body[, headers])."""
        if not (self.headers.get("Authorization") or "").startswith("Bearer sk_"):
            return error(401, "invalid_request_error", "Invalid API Key provided")
        with LOCK:
            key = self.headers.get("Idempotency-Key") if method == "POST" else None
            if key:
                seen = STATE["idempotency"].get(key)
                if seen and seen["request"] != (url.path, body):
                    return error(400, "idempotency_error",
                                 "Keys for idempotent requests can only be used with the same "
                                 "parameters they were first used with.")
                if seen:
                    return seen["status"], seen["body"], {"Idempotent-Replayed": "true"}
            status, response = handle(method, url.path, params)
            if key and status < 500:
                STATE["idempotency"][key] = {"request": (url.path, body), "status": status, "body": response}
        return status, response

    def control(self, method, path, body):
        if path == "/_fake/deliver" and method == "POST":
            ids = json.loads(body)["ids"]
            with LOCK:
                by_id = {e["id"]: e for e in STATE["events"]}
                events = list(STATE["events"]) if ids == "all" else [by_id[i] for i in ids]
            return self.send(200, {"results": deliver(events)})  # outside the lock: billingd may call back
        with LOCK:
            if method == "POST":
                answer = control_action(path, json.loads(body or "{}"))
                if answer is not None:
                    return self.send(200, answer)
            if path == "/_fake/alerts":
                return self.send(200, {"alerts": STATE["alerts"]})
            if path == "/_fake/events":
                return self.send(200, {"events": STATE["events"]})
            if path == "/_fake/fail" and method == "POST":
                failure = json.loads(body)
                failure.setdefault("times", 1)
                STATE["failures"].append(failure)
                return self.send(200, {"ok": True})
            if path == "/_fake/requests":
                return self.send(200, {"requests": STATE["requests"]})
            if path == "/_fake/heal" and method == "POST":
                STATE["failures"].clear()
                return self.send(200, {"ok": True})
            if path == "/_fake/forget_keys" and method == "POST":
                STATE["idempotency"].clear()
                return self.send(200, {"ok": True})
            if path == "/_fake/reset" and method == "POST":
                reset()
                return self.send(200, {"ok": True})
            if path == "/_fake/state":
                return self.send(200, {"invoices": [invoice_view(i) for i in STATE["invoices"].values()],
                                       "customers": list(STATE["customers"].values())})
        self.send(404, {"error": {"type": "invalid_request_error", "message": "unknown control endpoint"}})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    sys.stderr.write(json.dumps({"msg": "listening", "port": server.server_address[1]}, separators=(",", ":")) + "\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
