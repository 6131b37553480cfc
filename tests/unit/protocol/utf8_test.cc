#include "protocol/utf8.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::protocol {
namespace {

using namespace std::literals;

constexpr size_t kNone = std::string_view::npos;

struct Vector {
  const char* name;
  std::string input;
  Utf8Result result;
  // Offset in `input` of the byte that made it invalid (fail-fast position), kNone otherwise.
  size_t invalid_at;
};

std::vector<Vector> Vectors() {
  return {
      // Valid text, including every boundary of the encoding forms.
      {"empty", "", Utf8Result::kComplete, kNone},
      {"ascii", "Hello-World 123", Utf8Result::kComplete, kNone},
      {"greek kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", Utf8Result::kComplete, kNone},
      {"NUL", "\0"s, Utf8Result::kComplete, kNone},
      {"U+007F", "\x7f", Utf8Result::kComplete, kNone},
      {"U+0080", "\xc2\x80", Utf8Result::kComplete, kNone},
      {"U+07FF", "\xdf\xbf", Utf8Result::kComplete, kNone},
      {"U+0800", "\xe0\xa0\x80", Utf8Result::kComplete, kNone},
      {"U+D7FF", "\xed\x9f\xbf", Utf8Result::kComplete, kNone},
      {"U+E000", "\xee\x80\x80", Utf8Result::kComplete, kNone},
      {"U+FFFD", "\xef\xbf\xbd", Utf8Result::kComplete, kNone},
      {"U+FFFF", "\xef\xbf\xbf", Utf8Result::kComplete, kNone},
      {"U+10000", "\xf0\x90\x80\x80", Utf8Result::kComplete, kNone},
      {"U+10FFFF", "\xf4\x8f\xbf\xbf", Utf8Result::kComplete, kNone},
      {"emoji between ascii", "a\xf0\x9f\x98\x80z", Utf8Result::kComplete, kNone},
      {"long ascii then 2-byte", std::string(37, 'a') + "\xc3\xa9" + std::string(9, 'b'),
       Utf8Result::kComplete, kNone},
      // Valid so far, the last code point still open.
      {"2-byte lead only", "\xc3", Utf8Result::kIncomplete, kNone},
      {"3-byte missing last", "\xe2\x82", Utf8Result::kIncomplete, kNone},
      {"4-byte missing last", "a\xf0\x9f\x98", Utf8Result::kIncomplete, kNone},
      {"E0 A0 open", "\xe0\xa0", Utf8Result::kIncomplete, kNone},
      {"F4 8F open", "\xf4\x8f", Utf8Result::kIncomplete, kNone},
      // Rejected at the first byte that no valid sequence could follow.
      {"lone continuation", "\x80", Utf8Result::kInvalid, 0},
      {"continuation after ascii", "ab\xbf", Utf8Result::kInvalid, 2},
      {"C0 overlong lead", "\xc0\x80", Utf8Result::kInvalid, 0},
      {"C1 overlong lead", "\xc1\xbf", Utf8Result::kInvalid, 0},
      {"E0 80 overlong", "\xe0\x80\x80", Utf8Result::kInvalid, 1},
      {"E0 9F overlong", "\xe0\x9f\xbf", Utf8Result::kInvalid, 1},
      {"F0 80 overlong", "\xf0\x80\x80\x80", Utf8Result::kInvalid, 1},
      {"F0 8F overlong", "\xf0\x8f\xbf\xbf", Utf8Result::kInvalid, 1},
      {"surrogate D800", "\xed\xa0\x80", Utf8Result::kInvalid, 1},
      {"surrogate DFFF", "\xed\xbf\xbf", Utf8Result::kInvalid, 1},
      {"U+110000", "\xf4\x90\x80\x80", Utf8Result::kInvalid, 1},
      {"F5 lead", "\xf5\x80\x80\x80", Utf8Result::kInvalid, 0},
      {"FE", "\xfe", Utf8Result::kInvalid, 0},
      {"FF", "a\xff", Utf8Result::kInvalid, 1},
      {"2-byte lead then ascii", "\xc2\x41", Utf8Result::kInvalid, 1},
      {"3-byte cut by ascii", "\xe2\x82\x41", Utf8Result::kInvalid, 2},
      {"4-byte cut by lead", "\xf0\x9f\x98\xc3\xa9", Utf8Result::kInvalid, 3},
      // Autobahn case 6.3.1: valid Greek, then a surrogate, then ASCII.
      {"autobahn 6.3.1", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74",
       Utf8Result::kInvalid, 12},
      // The eight-byte ASCII fast path must not skip the offending byte.
      {"invalid after 64 ascii", std::string(64, 'x') + "\x80" + std::string(20, 'y'),
       Utf8Result::kInvalid, 64},
      {"invalid inside ascii word", std::string(13, 'x') + "\xff" + std::string(2, 'y'),
       Utf8Result::kInvalid, 13},
  };
}

struct Outcome {
  Utf8Result result;
  size_t invalid_at;  // stream offset, kNone unless kInvalid
};

// Feeds `input` in pieces ending at `cuts` (the last cut is input.size()) to one validator.
Outcome Run(std::string_view input, const std::vector<size_t>& cuts) {
  Utf8Validator validator;
  Utf8Result result = Utf8Result::kComplete;
  size_t start = 0;
  for (size_t cut : cuts) {
    size_t at = kNone;
    result = validator.Feed(input.substr(start, cut - start), &at);
    if (result == Utf8Result::kInvalid) return {result, start + at};
    start = cut;
  }
  return {result, kNone};
}

void Check(const Vector& v, const Outcome& outcome) {
  CHECK(outcome.result == v.result);
  CHECK(outcome.invalid_at == v.invalid_at);
}

TEST_CASE("Utf8Validator vectors whole, byte by byte and at every split") {
  // doctest reruns the test case from the top for every leaf SUBCASE: build the vectors once.
  static const std::vector<Vector> vectors = Vectors();
  for (const Vector& v : vectors) {
    SUBCASE(v.name) {
      const size_t n = v.input.size();
      SUBCASE("whole") { Check(v, Run(v.input, {n})); }
      SUBCASE("byte by byte") {
        std::vector<size_t> cuts;
        for (size_t k = 1; k <= n; ++k) cuts.push_back(k);
        if (n == 0) cuts.push_back(0);
        Check(v, Run(v.input, cuts));
      }
      for (size_t k = 1; k < n; ++k) {
        SUBCASE(("split at " + std::to_string(k)).c_str()) { Check(v, Run(v.input, {k, n})); }
      }
      CHECK(IsValidUtf8(v.input) == (v.result == Utf8Result::kComplete));
    }
  }
}

TEST_CASE("Utf8Validator state") {
  Utf8Validator validator;
  CHECK(validator.complete());
  CHECK(validator.Feed("\xe2\x82") == Utf8Result::kIncomplete);
  CHECK_FALSE(validator.complete());
  CHECK(validator.Feed("") == Utf8Result::kIncomplete);
  CHECK(validator.Feed("\xac") == Utf8Result::kComplete);  // U+20AC across three calls
  CHECK(validator.complete());

  size_t at = 99;
  CHECK(validator.Feed("ok\xc0", &at) == Utf8Result::kInvalid);
  CHECK(at == 2);
  CHECK(validator.failed());
  // Sticky until Reset, even for valid input; the offset then says "already failed".
  at = 99;
  CHECK(validator.Feed("fine", &at) == Utf8Result::kInvalid);
  CHECK(at == 0);
  validator.Reset();
  CHECK_FALSE(validator.failed());
  CHECK(validator.Feed("fine") == Utf8Result::kComplete);

  // A successful Feed leaves the offset alone.
  at = 7;
  CHECK(validator.Feed("x", &at) == Utf8Result::kComplete);
  CHECK(at == 7);
}

// A plain decoder written straight from RFC 3629 section 3: decode the code point from the lead
// byte's length, then require the shortest form, no surrogate and at most U+10FFFF.
bool ReferenceValid(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t b = p[i];
    size_t len;
    uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    const uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

TEST_CASE("Utf8Validator agrees with a reference decoder on every 1-, 2- and 3-byte input") {
  uint8_t buf[3];
  size_t mismatches = 0;
  for (uint32_t a = 0; a < 256; ++a) {
    buf[0] = static_cast<uint8_t>(a);
    if (IsValidUtf8({reinterpret_cast<char*>(buf), 1}) != ReferenceValid(buf, 1)) ++mismatches;
    for (uint32_t b = 0; b < 256; ++b) {
      buf[1] = static_cast<uint8_t>(b);
      if (IsValidUtf8({reinterpret_cast<char*>(buf), 2}) != ReferenceValid(buf, 2)) ++mismatches;
      // Three-byte inputs only matter where the first two bytes are not decided already.
      if (a < 0xC2 || a > 0xF4) continue;
      for (uint32_t c = 0; c < 256; ++c) {
        buf[2] = static_cast<uint8_t>(c);
        if (IsValidUtf8({reinterpret_cast<char*>(buf), 3}) != ReferenceValid(buf, 3)) {
          ++mismatches;
        }
      }
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("Utf8Validator agrees with a reference decoder on 4-byte inputs") {
  // Every lead F0..F7 with every second byte, and a spread of third and fourth bytes.
  const uint8_t tails[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xF4, 0xFF};
  uint8_t buf[4];
  size_t mismatches = 0;
  for (uint32_t a = 0xF0; a < 0xF8; ++a) {
    for (uint32_t b = 0; b < 256; ++b) {
      for (uint8_t c : tails) {
        for (uint8_t d : tails) {
          buf[0] = static_cast<uint8_t>(a);
          buf[1] = static_cast<uint8_t>(b);
          buf[2] = c;
          buf[3] = d;
          if (IsValidUtf8({reinterpret_cast<char*>(buf), 4}) != ReferenceValid(buf, 4)) {
            ++mismatches;
          }
        }
      }
    }
  }
  CHECK(mismatches == 0);
}

}  // namespace
}  // namespace herald::protocol
