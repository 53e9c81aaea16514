#include "reconciliation/options.hpp"

#include <optional>

#include "money/money.hpp"

namespace meterline::reconciliation {

int64_t Options::AlertThresholdMinor(const std::string& currency) const {
  auto own = alert_thresholds.find(currency);
  const money::Decimal& amount = own == alert_thresholds.end() ? alert_threshold : own->second;
  int exponent = money::FindCurrency(currency).value_or(money::Currency{currency, 2}).exponent;
  __int128 minor = amount.units();
  if (exponent >= amount.scale()) {
    minor *= money::Pow10(exponent - amount.scale());
  } else {
    minor /= money::Pow10(amount.scale() - exponent);  // finer than the currency: down to its unit
  }
  return minor > INT64_MAX ? INT64_MAX : static_cast<int64_t>(minor);
}

Status ParseAlertThreshold(std::string_view text, Options& options) {
  Options parsed = options;
  parsed.alert_thresholds.clear();
  bool have_default = false;
  auto amount_of = [](std::string_view part) -> std::optional<money::Decimal> {
    auto amount = money::Decimal::Parse(part);
    if (!amount || amount->IsNegative() || amount->scale() > 4) return std::nullopt;
    return amount;
  };
  for (size_t at = 0; at <= text.size();) {
    size_t comma = text.find(',', at);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view part = text.substr(at, comma - at);
    at = comma + 1;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      auto amount = amount_of(part);
      if (!amount || have_default) {
        return InvalidArgument("'" + std::string(part) + "' is not one amount like 1000 or 1000.00");
      }
      parsed.alert_threshold = *amount;
      have_default = true;
      continue;
    }
    std::string code(part.substr(0, eq));
    if (!money::FindCurrency(code)) return InvalidArgument("'" + code + "' is not a currency we bill in");
    auto amount = amount_of(part.substr(eq + 1));
    if (!amount) return InvalidArgument("'" + std::string(part) + "' needs an amount like " + code + "=1000");
    parsed.alert_thresholds[code] = *amount;
  }
  options = std::move(parsed);
  return OkStatus();
}

}  // namespace meterline::reconciliation
