#include "money/share.hpp"

#include <chrono>
#include <string>

#include "money/decimal.hpp"

namespace meterline::money {

Share Share::Of(const Period& span, const Period& period) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  Share share{duration_cast<seconds>(span.end - span.start).count(),
              duration_cast<seconds>(period.end - period.start).count()};
  if (share.whole <= 0 || share.part >= share.whole) return {};
  if (share.part < 0) share.part = 0;
  return share;
}

int64_t Share::Apply(int64_t amount, int64_t step) const {
  if (IsWhole()) return amount;
  if (step < 1) step = 1;
  __int128 rounded =
      DivideRoundHalfEven(static_cast<__int128>(amount) * part, static_cast<__int128>(whole) * step) * step;
  if (rounded > INT64_MAX) return INT64_MAX;
  if (rounded < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(rounded);
}

std::string Share::Describe() const {
  constexpr int64_t kDay = 86400;
  constexpr int64_t kHour = 3600;
  if (part % kDay == 0 && whole % kDay == 0) {
    return std::to_string(part / kDay) + " of " + std::to_string(whole / kDay) + " days";
  }
  return std::to_string(part / kHour) + " of " + std::to_string(whole / kHour) + " hours";
}

}  // namespace meterline::money
