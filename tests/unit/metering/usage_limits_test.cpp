#include "metering/usage_limits.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace meterline::metering {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(UsageLimits, AYearOfFullHoursStillFitsInOneSum) {
  EXPECT_EQ(kMaxHourlyUsage, 1'050'019'585'252'137);
  __int128 year = static_cast<__int128>(kMaxHourlyUsage) * 366 * 24;
  EXPECT_LE(year, kMax);
  EXPECT_LE(kDefaultMaxEventValue, kMaxHourlyUsage);
}

TEST(UsageLimits, EventsAreTakenInOrderWhileTheyFit) {
  RollupFit fit = FitIntoRollup(kMaxHourlyUsage - 10, {4, 7, 6, 0, 1});
  // 4 fits (6 left), 7 does not, 6 fits (0 left), 0 fits, 1 does not.
  EXPECT_EQ(fit.refused, (std::vector<size_t>{1, 4}));
  EXPECT_EQ(fit.taken, 3);
  EXPECT_EQ(fit.taken_sum, 10);
  EXPECT_EQ(fit.total, kMaxHourlyUsage);
}

TEST(UsageLimits, HugeValuesNeverWrapTheCheck) {
  RollupFit fit = FitIntoRollup(5, {kMax, kMax - 4, kMaxHourlyUsage - 5, 1});
  EXPECT_EQ(fit.refused, (std::vector<size_t>{0, 1, 3}));
  EXPECT_EQ(fit.total, kMaxHourlyUsage);
}

TEST(UsageLimits, ARollupAlreadyPastTheLimitTakesOnlyZeros) {
  RollupFit fit = FitIntoRollup(kMax, {1, 0, kMax});
  EXPECT_EQ(fit.refused, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(fit.taken, 1);
  EXPECT_EQ(fit.total, kMax);
}

TEST(UsageLimits, SplitSumsJoinExactlyOrSayOverflow) {
  // 3 x (2^63 - 1) in halves: quotient and remainder by 2^32 of each, summed.
  int64_t high = 3 * (kMax / kSplitSumBase), low = 3 * (kMax % kSplitSumBase);
  auto joined = JoinSplitSum(high, low, "usage of impressions");
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code, ErrorCode::kUnprocessable);
  EXPECT_EQ(joined.error().Reason(), "overflow");
  EXPECT_EQ(joined.error().message, "usage of impressions does not fit in a 64-bit integer");
  auto one = JoinSplitSum(kMax / kSplitSumBase, kMax % kSplitSumBase, "x");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, kMax);
  // Remainders of negative rows (wrapped by an old version) join exactly too.
  auto negative = JoinSplitSum(-5 / kSplitSumBase + 7 / kSplitSumBase, -5 % kSplitSumBase + 7 % kSplitSumBase, "x");
  ASSERT_TRUE(negative.ok());
  EXPECT_EQ(*negative, 2);
}

}  // namespace
}  // namespace meterline::metering
