#include "protocol/utf8.h"

#include <cstring>

namespace herald::protocol {
namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ull;

bool IsTail(uint8_t b) { return (b & 0xC0) == 0x80; }

}  // namespace

Utf8Result Utf8Validator::Feed(std::string_view bytes, size_t* invalid_at) {
  if (state_ == State::kInvalid) {
    if (invalid_at != nullptr) *invalid_at = 0;
    return Utf8Result::kInvalid;
  }
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  State state = state_;
  size_t i = 0;
  while (i < n) {
    if (state == State::kBoundary) {
      // Chat text is mostly ASCII: skip it eight bytes at a time. memcpy keeps the load legal
      // at any alignment and compiles to one instruction.
      while (i + 8 <= n) {
        uint64_t word;
        std::memcpy(&word, p + i, sizeof(word));
        if ((word & kHighBits) != 0) break;
        i += 8;
      }
      while (i < n && p[i] < 0x80) ++i;
      if (i == n) break;
    }
    const uint8_t b = p[i];
    bool ok = true;
    switch (state) {
      case State::kBoundary:
        if (b < 0xC2) {
          ok = false;  // a stray continuation byte, or C0/C1 which only start overlong forms
        } else if (b < 0xE0) {
          state = State::kTail1;
        } else if (b == 0xE0) {
          state = State::kAfterE0;
        } else if (b == 0xED) {
          state = State::kAfterED;
        } else if (b < 0xF0) {
          state = State::kTail2;
        } else if (b == 0xF0) {
          state = State::kAfterF0;
        } else if (b < 0xF4) {
          state = State::kTail3;
        } else if (b == 0xF4) {
          state = State::kAfterF4;
        } else {
          ok = false;  // F5..FF would start code points above U+10FFFF
        }
        break;
      case State::kTail1:
        ok = IsTail(b);
        state = State::kBoundary;
        break;
      case State::kTail2:
        ok = IsTail(b);
        state = State::kTail1;
        break;
      case State::kTail3:
        ok = IsTail(b);
        state = State::kTail2;
        break;
      case State::kAfterE0:
        ok = b >= 0xA0 && b <= 0xBF;
        state = State::kTail1;
        break;
      case State::kAfterED:
        ok = b >= 0x80 && b <= 0x9F;
        state = State::kTail1;
        break;
      case State::kAfterF0:
        ok = b >= 0x90 && b <= 0xBF;
        state = State::kTail2;
        break;
      case State::kAfterF4:
        ok = b >= 0x80 && b <= 0x8F;
        state = State::kTail2;
        break;
      case State::kInvalid:
        ok = false;
        break;
    }
    if (!ok) {
      state_ = State::kInvalid;
      if (invalid_at != nullptr) *invalid_at = i;
      return Utf8Result::kInvalid;
    }
    ++i;
  }
  state_ = state;
  return state == State::kBoundary ? Utf8Result::kComplete : Utf8Result::kIncomplete;
}

bool IsValidUtf8(std::string_view text) {
  Utf8Validator validator;
  return validator.Feed(text) == Utf8Result::kComplete;
}

}  // namespace herald::protocol
