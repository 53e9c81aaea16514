// TextArena: keeps copies of many short strings in a few large blocks, for
// values that hand out views of them (an ingestion batch's events). One heap
// allocation per block, none per string. Views stay valid until the arena is
// destroyed, moves included (the blocks do not move). Not copyable.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace meterline {

class TextArena {
 public:
  TextArena() = default;
  // A moved-from arena is empty (its free space went with its blocks).
  TextArena(TextArena&& other) noexcept
      : blocks_(std::exchange(other.blocks_, {})),
        next_(std::exchange(other.next_, nullptr)),
        left_(std::exchange(other.left_, 0)) {}
  TextArena& operator=(TextArena&& other) noexcept {
    blocks_ = std::exchange(other.blocks_, {});
    next_ = std::exchange(other.next_, nullptr);
    left_ = std::exchange(other.left_, 0);
    return *this;
  }

  // A copy of `text` that lives as long as the arena.
  std::string_view Keep(std::string_view text);

 private:
  static constexpr size_t kBlockBytes = size_t{32} << 10;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;  // free space in the last block
  size_t left_ = 0;
};

}  // namespace meterline
