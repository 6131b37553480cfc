// libFuzzer target for GlobMatch.
//
// Input: one byte giving the pattern length (modulo the remaining size), then the pattern, then
// the subject. GlobMatch must agree with a slow reference written directly from the rules in
// protocol/glob.h (recursive, memoised so deep star nests stay affordable), and must finish on
// any input: libFuzzer's -timeout catches a matcher that goes exponential.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "protocol/glob.h"
#include "tests/fuzz/fuzz_helpers.h"

namespace herald::fuzz {
namespace {

// Reads the single-byte element at the start of `p` (not `*`) into a membership table and
// returns its length in the pattern.
size_t ReferenceElement(std::string_view p, bool member[256]) {
  for (int i = 0; i < 256; ++i) member[i] = false;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(p[i]); };
  if (p[0] == '?') {
    for (int i = 0; i < 256; ++i) member[i] = true;
    return 1;
  }
  if (p[0] == '\\') {
    if (p.size() >= 2) {
      member[byte(1)] = true;
      return 2;
    }
    member[static_cast<unsigned char>('\\')] = true;
    return 1;
  }
  if (p[0] != '[') {
    member[byte(0)] = true;
    return 1;
  }
  size_t i = 1;
  const bool negate = i < p.size() && p[i] == '^';
  if (negate) ++i;
  size_t length = p.size();  // unclosed: the set takes the rest of the pattern
  while (i < p.size()) {
    if (p[i] == '\\' && i + 1 < p.size()) {
      member[byte(i + 1)] = true;
      i += 2;
    } else if (p[i] == ']') {
      length = i + 1;
      break;
    } else if (i + 2 < p.size() && p[i + 1] == '-') {
      // Signed-char ordering, as in Redis on x86.
      const int a = static_cast<signed char>(p[i]);
      const int b = static_cast<signed char>(p[i + 2]);
      for (int c = -128; c < 128; ++c) {
        if ((c >= a && c <= b) || (c >= b && c <= a)) member[static_cast<unsigned char>(c)] = true;
      }
      i += 3;
    } else {
      member[byte(i)] = true;
      ++i;
    }
  }
  if (negate) {
    for (int c = 0; c < 256; ++c) member[c] = !member[c];
  }
  return length;
}

struct Reference {
  std::string_view pattern;
  std::string_view subject;
  std::vector<signed char>
      memo;  // -1 unknown, else the answer for (pattern offset, subject offset)

  bool Match(size_t p, size_t s) {
    signed char& slot = memo[p * (subject.size() + 1) + s];
    if (slot < 0) slot = Compute(p, s) ? 1 : 0;
    return slot == 1;
  }

  // Does pattern[p..] match subject[s..]? Plain glob: `*` takes any run, possibly empty.
  bool Compute(size_t p, size_t s) {
    if (p == pattern.size()) return s == subject.size();
    if (pattern[p] == '*') {
      for (size_t k = s; k <= subject.size(); ++k) {
        if (Match(p + 1, k)) return true;
      }
      return false;
    }
    if (s == subject.size()) return false;
    bool member[256];
    const size_t length = ReferenceElement(pattern.substr(p), member);
    return member[static_cast<unsigned char>(subject[s])] && Match(p + length, s + 1);
  }
};

bool ReferenceMatch(std::string_view pattern, std::string_view subject) {
  // Redis's one departure from plain glob: an empty subject matches only the empty pattern.
  if (subject.empty()) return pattern.empty();
  Reference ref{pattern, subject, {}};
  ref.memo.assign((pattern.size() + 1) * (subject.size() + 1), -1);
  return ref.Match(0, 0);
}

// The pattern length byte, then the pattern and the subject.
void TestOneInput(uint8_t length_byte, std::string_view rest) {
  const size_t pattern_len = rest.empty() ? 0 : length_byte % (rest.size() + 1);
  const std::string_view pattern = rest.substr(0, pattern_len);
  const std::string_view subject = rest.substr(pattern_len);
  const bool got = herald::protocol::GlobMatch(pattern, subject);
  if (pattern.size() <= 64 && subject.size() <= 64) Check(got == ReferenceMatch(pattern, subject));
}

}  // namespace
}  // namespace herald::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return herald::fuzz::RunWithConfigByte(data, size, herald::fuzz::TestOneInput);
}
