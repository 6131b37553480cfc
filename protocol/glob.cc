#include "protocol/glob.h"

#include <cstddef>

namespace herald::protocol {
namespace {

// Outcome of testing one byte against the single-byte pattern element starting at some offset.
struct ElementMatch {
  bool matches;
  size_t next;  // offset just past the element
};

// Tests byte `c` against the `[...]` set whose `[` is at `pattern[open]`.
//
// Redis walks a set with its length counter and peeks at the NUL that ends its sds; reading the
// byte past the end therefore never sees `^`, `]` or `\`, which is what the bounds checks here
// reproduce. The consequences worth knowing:
//   - `]` right after `[` (or `[^`) closes the set at once: `[]` is empty, `[^]` is "any byte".
//   - `\` escapes the next byte only when one follows; a trailing `\` is a plain member.
//   - `x-y` is a range only when a byte follows the `-`, whatever it is (`]` and `\` included),
//     so `[a-]` is the range `]`..`a` and leaves the set unclosed.
//   - An unclosed set swallows the rest of the pattern.
ElementMatch MatchSet(std::string_view pattern, size_t open, unsigned char c) {
  const size_t n = pattern.size();
  size_t i = open + 1;
  const bool negate = i < n && pattern[i] == '^';
  if (negate) ++i;
  bool found = false;
  size_t next = n;
  while (i < n) {
    const unsigned char b = static_cast<unsigned char>(pattern[i]);
    if (b == '\\' && n - i >= 2) {
      found |= static_cast<unsigned char>(pattern[i + 1]) == c;
      i += 2;
    } else if (b == ']') {
      next = i + 1;
      break;
    } else if (n - i >= 3 && pattern[i + 1] == '-') {
      // Redis compares ranges as plain `char`, which is signed on the platforms it ships for,
      // so bytes >= 0x80 sort below 0x00: `[a-\xff]` is the range \xff..a and excludes `b`.
      int lo = static_cast<signed char>(pattern[i]);
      int hi = static_cast<signed char>(pattern[i + 2]);
      if (lo > hi) {
        const int t = lo;
        lo = hi;
        hi = t;
      }
      const int sc = static_cast<signed char>(c);
      found |= sc >= lo && sc <= hi;
      i += 3;
    } else {
      found |= b == c;
      ++i;
    }
  }
  return {found != negate, next};
}

// Tests byte `c` against the element at `pattern[p]`, which must not be `*`.
ElementMatch MatchElement(std::string_view pattern, size_t p, unsigned char c) {
  const unsigned char b = static_cast<unsigned char>(pattern[p]);
  switch (b) {
    case '?':
      return {true, p + 1};
    case '[':
      return MatchSet(pattern, p, c);
    case '\\':
      // A lone trailing backslash stands for itself.
      if (pattern.size() - p >= 2) {
        return {static_cast<unsigned char>(pattern[p + 1]) == c, p + 2};
      }
      return {b == c, p + 1};
    default:
      return {b == c, p + 1};
  }
}

}  // namespace

// Every element other than `*` consumes exactly one byte, and where an element ends in the pattern
// does not depend on the subject. Under those conditions a failed attempt only ever needs to
// resume at the most recent `*`, one subject byte further on: an earlier `*` swallowing more
// could only bring the pattern back to that same `*` at a later subject offset, which the
// latest `*` already covers. So one greedy pass with a single backtrack point decides the match
// in O(pattern * subject) steps and constant stack, where Redis recurses per `*`.
bool GlobMatch(std::string_view pattern, std::string_view str) {
  // Redis never enters its matching loop for an empty subject, so only the empty pattern
  // matches it: `*` does not match the empty channel.
  if (str.empty()) return pattern.empty();

  constexpr size_t kNoStar = static_cast<size_t>(-1);
  const size_t m = pattern.size();
  const size_t n = str.size();
  size_t p = 0;
  size_t s = 0;
  size_t star_p = kNoStar;  // pattern offset just past the latest run of `*`
  size_t star_s = 0;        // subject offset that run currently starts matching at
  while (s < n) {
    if (p < m && pattern[p] == '*') {
      while (p < m && pattern[p] == '*') ++p;
      if (p == m) return true;
      star_p = p;
      star_s = s;
      continue;
    }
    if (p < m) {
      const ElementMatch e = MatchElement(pattern, p, static_cast<unsigned char>(str[s]));
      if (e.matches) {
        p = e.next;
        ++s;
        continue;
      }
    }
    if (star_p == kNoStar) return false;
    p = star_p;
    s = ++star_s;
  }
  // The subject is used up: only trailing `*` may remain.
  while (p < m && pattern[p] == '*') ++p;
  return p == m;
}

}  // namespace herald::protocol
