// TextArena: copies that stay put (across blocks, long strings, moves).
#include "core/text_arena.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace meterline {
namespace {

TEST(TextArenaTest, KeptCopiesStayValidAcrossBlocksLongStringsAndMoves) {
  TextArena arena;
  std::vector<std::pair<std::string, std::string_view>> kept;
  for (int i = 0; i < 5000; ++i) {
    // Mostly short strings (several blocks of them), now and then one longer
    // than a quarter block, which gets a block of its own.
    std::string text = i % 500 == 7 ? std::string(20000, static_cast<char>('a' + i % 26))
                                    : "customer-" + std::to_string(i) + "-" + std::string(i % 40, 'x');
    std::string_view view = arena.Keep(text);
    EXPECT_NE(view.data(), text.data());
    kept.emplace_back(std::move(text), view);
  }
  EXPECT_TRUE(arena.Keep("").empty());
  TextArena moved = std::move(arena);
  for (const auto& [text, view] : kept) ASSERT_EQ(view, text);
  // The moved-from arena starts over on blocks of its own.
  std::string_view fresh = arena.Keep("after the move");  // NOLINT(bugprone-use-after-move): empty by contract
  std::string_view more = moved.Keep("still the moved one's");
  EXPECT_EQ(fresh, "after the move");
  EXPECT_EQ(more, "still the moved one's");
  for (const auto& [text, view] : kept) ASSERT_EQ(view, text);
}

}  // namespace
}  // namespace meterline
