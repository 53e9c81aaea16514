// billingd credit-note issue | list   and   billingd credits show | grant
#include <cstdio>
#include <iostream>
#include <sstream>

#include "app/cli/cli.hpp"
#include "app/config.hpp"
#include "app/wiring.hpp"
#include "credits/credit_ledger.hpp"
#include "money/money.hpp"

namespace meterline::app {

namespace {

constexpr const char* kCreditNoteUsage =
    R"(Usage: billingd credit-note issue --invoice inv_… --reason duplicate|fraudulent|order_change|product_unsatisfactory
                                 [--lines 1,2:500,3=1200] [--amount MINOR [--description TEXT]]
                                 [--memo TEXT] [--refund-to credit_balance|stripe_refund]
       billingd credit-note list --invoice inv_…

issue  Issues a credit note on a finalized invoice. --lines names invoice lines by position:
       "2" credits what is left of line 2, "2:500" 500 of its units at its unit price,
       "2=1200" 1200 minor units of it. --amount credits a free amount (minor units, before
       tax). Tax at the invoice's rate is added. It first lowers what is due; the part after
       payment goes to the customer's credit balance (default) or is refunded through Stripe.
list   Prints an invoice's credit notes.
)";

constexpr const char* kCreditsUsage =
    R"(Usage: billingd credits show --customer cus_…
       billingd credits grant --customer cus_… --amount MINOR --currency USD --description TEXT
                              [--kind grant|top_up] [--priority 0..100] [--expires-at RFC3339]

show   Prints the customer's available balance per currency, grants and latest ledger entries.
grant  Adds prepaid credits. They pay finalized invoices' amounts due after tax: lower
       priority first, then the earliest expiry, then the oldest.
)";

std::string Format(int64_t minor, const std::string& currency) {
  auto c = money::FindCurrency(currency);
  return (c ? money::FormatMajor(minor, *c) : std::to_string(minor)) + " " + currency;
}

// "1,2:500,3=1200" -> lines.
Result<std::vector<credit_notes::CreditNoteRequest::Line>> ParseLines(const std::string& text) {
  std::vector<credit_notes::CreditNoteRequest::Line> out;
  std::stringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    size_t sep = item.find_first_of(":=");
    credit_notes::CreditNoteRequest::Line line;
    int64_t value = 0;
    if (!ParseInt(item.substr(0, sep), line.invoice_line) || line.invoice_line < 1 ||
        (sep != std::string::npos && (!ParseInt(item.substr(sep + 1), value) || value < 1))) {
      return InvalidArgument("--lines takes positions like 1,2:500,3=1200, not '" + item + "'");
    }
    if (sep != std::string::npos) (item[sep] == ':' ? line.quantity : line.amount_minor) = value;
    out.push_back(line);
  }
  return out;
}

void PrintCreditNote(const credit_notes::CreditNote& cn) {
  std::printf("%s  %s  invoice %s  %s  total %s\n", cn.id.c_str(), cn.number.c_str(), cn.invoice_id.c_str(),
              credit_notes::ReasonName(cn.reason), Format(cn.total_minor, cn.currency).c_str());
  for (const auto& l : cn.lines) {
    std::printf("  %-60s %16s\n", l.description.c_str(), Format(l.amount_minor, cn.currency).c_str());
  }
  if (cn.tax_minor != 0) std::printf("  %-60s %16s\n", "Tax", Format(cn.tax_minor, cn.currency).c_str());
  std::printf("  off the amount due %s; after payment %s%s\n", Format(cn.pre_payment_minor, cn.currency).c_str(),
              Format(cn.post_payment_minor, cn.currency).c_str(),
              cn.refund_to == credit_notes::RefundTo::kNone
                  ? ""
                  : (std::string(" (") + credit_notes::RefundToName(cn.refund_to) + ")").c_str());
}

int Fail(const Error& error, int code = 1) {
  PrintError(error.message);
  return code;
}

}  // namespace

int RunCreditNote(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    (args.empty() ? std::cerr : std::cout) << kCreditNoteUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& command = args.front();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "list") {
    auto flags = ParseFlags(rest, {"--invoice"});
    if (!flags.ok() || !flags->count("--invoice"))
      return Fail(flags.ok() ? InvalidArgument("--invoice is required") : flags.error(), 2);
    return WithApp([&](App& app) {
      auto notes = app.credit_notes->ForInvoice((*flags)["--invoice"], "");
      if (!notes.ok()) return Fail(notes.error());
      for (const auto& cn : *notes) PrintCreditNote(cn);
      if (notes->empty()) std::printf("no credit notes\n");
      return 0;
    });
  }
  if (command != "issue") {
    std::cerr << kCreditNoteUsage;
    return 2;
  }
  auto parsed =
      ParseFlags(rest, {"--invoice", "--reason", "--lines", "--amount", "--description", "--memo", "--refund-to"});
  if (!parsed.ok()) return Fail(parsed.error(), 2);
  auto& flags = *parsed;
  if (!flags.count("--invoice") || !flags.count("--reason")) {
    return Fail(InvalidArgument("credit-note issue needs --invoice and --reason"), 2);
  }
  credit_notes::CreditNoteRequest request;
  auto reason = credit_notes::ParseReason(flags["--reason"]);
  if (!reason) {
    return Fail(InvalidArgument("--reason must be duplicate, fraudulent, order_change or product_unsatisfactory"), 2);
  }
  request.reason = *reason;
  if (flags.count("--lines")) {
    auto lines = ParseLines(flags["--lines"]);
    if (!lines.ok()) return Fail(lines.error(), 2);
    request.lines = *lines;
  }
  if (flags.count("--amount")) {
    int64_t amount = 0;
    if (!ParseInt(flags["--amount"], amount) || amount < 1) {
      return Fail(InvalidArgument("--amount must be a positive integer (minor units)"), 2);
    }
    request.amount_minor = amount;
  }
  request.description = flags["--description"];
  request.memo = flags["--memo"];
  if (flags.count("--refund-to")) {
    auto to = credit_notes::ParseRefundTo(flags["--refund-to"]);
    if (!to) return Fail(InvalidArgument("--refund-to must be credit_balance or stripe_refund"), 2);
    request.refund_to = *to;
  }
  return WithApp([&](App& app) {
    auto cn = app.credit_notes->Issue(flags["--invoice"], "", request, "cli");
    if (!cn.ok()) return Fail(cn.error());
    PrintCreditNote(*cn);
    return 0;
  });
}

int RunCredits(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    (args.empty() ? std::cerr : std::cout) << kCreditsUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& command = args.front();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "show") {
    auto flags = ParseFlags(rest, {"--customer"});
    if (!flags.ok() || !flags->count("--customer")) {
      return Fail(flags.ok() ? InvalidArgument("--customer is required") : flags.error(), 2);
    }
    return WithApp([&](App& app) {
      const std::string& customer = (*flags)["--customer"];
      TimePoint now = SystemClock().Now();
      auto balances = credits::CreditLedger::Balances(*app.db, customer, now);
      auto grants = credits::CreditLedger::Grants(*app.db, customer, 100);
      auto history = credits::CreditLedger::History(*app.db, customer, {.limit = 20});
      if (!balances.ok()) return Fail(balances.error());
      if (!grants.ok()) return Fail(grants.error());
      if (!history.ok()) return Fail(history.error());
      if (balances->empty()) std::printf("no credits available\n");
      for (const auto& [currency, minor] : *balances) std::printf("available %s\n", Format(minor, currency).c_str());
      for (const auto& g : *grants) {
        std::printf("grant %s  %s  %s of %s left  priority %d  expires %s  %s\n", g.id.c_str(),
                    credits::GrantKindName(g.kind), Format(g.remaining_minor, g.currency).c_str(),
                    Format(g.amount_minor, g.currency).c_str(), g.priority,
                    g.expires_at ? FormatIso8601(*g.expires_at).c_str() : "never", g.description.c_str());
      }
      for (const auto& e : history->items) {
        std::printf("%s  %-8s %16s  balance %s  %s\n", FormatIso8601(e.created_at).c_str(), e.kind.c_str(),
                    Format(e.amount_minor, e.currency).c_str(), Format(e.balance_after_minor, e.currency).c_str(),
                    e.invoice_id.c_str());
      }
      return 0;
    });
  }
  if (command != "grant") {
    std::cerr << kCreditsUsage;
    return 2;
  }
  auto parsed = ParseFlags(
      rest, {"--customer", "--amount", "--currency", "--description", "--kind", "--priority", "--expires-at"});
  if (!parsed.ok()) return Fail(parsed.error(), 2);
  auto& flags = *parsed;
  credits::NewGrant grant;
  grant.actor = "cli";
  grant.customer_id = flags["--customer"];
  grant.currency = flags["--currency"];
  grant.description = flags["--description"];
  if (grant.customer_id.empty() || grant.currency.empty() || grant.description.empty() ||
      !ParseInt(flags["--amount"], grant.amount_minor)) {
    return Fail(InvalidArgument("credits grant needs --customer, --amount (minor units), --currency and --description"),
                2);
  }
  if (flags.count("--kind")) {
    auto kind = credits::ParseGrantKind(flags["--kind"]);
    if (!kind || *kind == credits::GrantKind::kCreditNote)
      return Fail(InvalidArgument("--kind must be grant or top_up"), 2);
    grant.kind = *kind;
  }
  if (flags.count("--priority")) {
    int64_t priority = 0;
    if (!ParseInt(flags["--priority"], priority) || priority < 0 || priority > credits::kMaxPriority) {
      return Fail(InvalidArgument("--priority must be between 0 and 100"), 2);
    }
    grant.priority = static_cast<int>(priority);
  }
  if (flags.count("--expires-at")) {
    auto at = ParseIso8601(flags["--expires-at"]);
    if (!at) return Fail(InvalidArgument("--expires-at must be an RFC 3339 timestamp"), 2);
    grant.expires_at = *at;
  }
  return WithApp([&](App& app) {
    SystemClock clock;
    auto made = credits::CreditLedger::GrantByAdmin(*app.db, clock, grant);
    if (!made.ok()) return Fail(made.error());
    std::printf("%s  %s %s\n", made->id.c_str(), credits::GrantKindName(made->kind),
                Format(made->amount_minor, made->currency).c_str());
    return 0;
  });
}

}  // namespace meterline::app
