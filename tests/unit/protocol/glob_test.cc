#include "protocol/glob.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace herald::protocol {
namespace {

using namespace std::literals;

struct CaptureLine {
  std::string_view pattern;
  std::vector<std::string_view> matches;
};

struct GlobCase {
  std::string_view pattern;
  std::string_view subject;
  bool matches;
};

// Renders binary bytes readably for failure messages.
std::string Printable(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out + "\"";
}

// Tables from captures/redis70-glob-pubsub-channels.txt (redis-server 7.0.15, PUBSUB CHANNELS).
// Every channel the capture's server had subscribed: the `*` line, plus the empty channel that
// only the empty pattern matches.
constexpr std::string_view kCaptureChannels[] = {
    ""sv,        "-"sv,     "\\"sv,   "^"sv,     "a-b"sv,   "a\\b"sv,  "a]b"sv,
    "ab"sv,      "abc"sv,   "b"sv,    "h*llo"sv, "h?llo"sv, "h[llo"sv, "hallo"sv,
    "heeello"sv, "hello"sv, "hllo"sv, "hxllo"sv, "x^y"sv,
};

// One entry per line of the capture, in file order.
const CaptureLine kCapture[] = {
    {"h?llo"sv, {"h*llo"sv, "h?llo"sv, "h[llo"sv, "hallo"sv, "hello"sv, "hxllo"sv}},
    {"h*llo"sv,
     {"h*llo"sv, "h?llo"sv, "h[llo"sv, "hallo"sv, "heeello"sv, "hello"sv, "hllo"sv, "hxllo"sv}},
    {"h[ae]llo"sv, {"hallo"sv, "hello"sv}},
    {"h[^e]llo"sv, {"h*llo"sv, "h?llo"sv, "h[llo"sv, "hallo"sv, "hxllo"sv}},
    {"h[a-b]llo"sv, {"hallo"sv}},
    {"h[b-a]llo"sv, {"hallo"sv}},
    {"h\\*llo"sv, {"h*llo"sv}},
    {"h\\?llo"sv, {"h?llo"sv}},
    {"a[]]b"sv, {}},
    {"a[\\]]b"sv, {"a]b"sv}},
    {"a[-]b"sv, {"a-b"sv}},
    {"[\\\\]"sv, {"\\"sv}},
    {"h[llo"sv, {}},
    {"h[l"sv, {}},
    {"*\\"sv, {"\\"sv}},
    {"x[\\^]y"sv, {"x^y"sv}},
    {"[^]"sv, {"-"sv, "\\"sv, "^"sv, "b"sv}},
    {"[!a]b"sv, {"ab"sv}},
    {"a\\b"sv, {"ab"sv}},
    {"a\\\\b"sv, {"a\\b"sv}},
    {""sv, {""sv}},
    {"*"sv,
     {"-"sv, "\\"sv, "^"sv, "a-b"sv, "a\\b"sv, "a]b"sv, "ab"sv, "abc"sv, "b"sv, "h*llo"sv,
      "h?llo"sv, "h[llo"sv, "hallo"sv, "heeello"sv, "hello"sv, "hllo"sv, "hxllo"sv, "x^y"sv}},
    {"ab*"sv, {"ab"sv, "abc"sv}},
    {"[a-]b"sv, {"^"sv, "b"sv}},
    {"a[b-]"sv, {"ab"sv}},
};

// Verified one by one against redis-server 7.0.15 (PUBSUB CHANNELS with the subject subscribed).
constexpr GlobCase kEdgeCases[] = {
    // Empty subjects: Redis never enters its loop, so only the empty pattern matches.
    {"*"sv, ""sv, false},
    {""sv, ""sv, true},
    {""sv, "a"sv, false},
    {"**"sv, ""sv, false},
    // Stars: runs collapse, trailing ones match nothing once the subject is used up.
    {"a*"sv, "a"sv, true},
    {"a**"sv, "a"sv, true},
    {"*a"sv, "a"sv, true},
    {"**a"sv, "a"sv, true},
    {"a*b*c"sv, "abc"sv, true},
    {"a*b*c"sv, "aXbYc"sv, true},
    {"a*b*c"sv, "acb"sv, false},
    // `?` is exactly one byte, NUL included.
    {"?"sv, ""sv, false},
    {"?"sv, "\000"sv, true},
    {"a?"sv, "a"sv, false},
    // Ranges compare signed chars: bytes >= 0x80 sort below 0x00.
    {"[a-\377]"sv, "b"sv, false},
    {"[a-\377]"sv, "\377"sv, true},
    {"[a-\377]"sv, "\000"sv, true},
    {"[a-\377]"sv, "\200"sv, false},
    {"[\200-\177]"sv, "\000"sv, true},
    {"[\177-\200]"sv, "\000"sv, true},
    {"[\177-\200]"sv, "\220"sv, true},
    {"[\200-\377]"sv, "\220"sv, true},
    {"[\200-\377]"sv, "a"sv, false},
    // Empty, unclosed and escaped sets.
    {"[^"sv, "x"sv, true},
    {"[^"sv, ""sv, false},
    {"["sv, "["sv, false},
    {"a["sv, "a["sv, false},
    {"a["sv, "a"sv, false},
    {"[^]"sv, "]"sv, true},
    {"[]]"sv, "]"sv, false},
    {"[]]"sv, "]]"sv, false},
    {"[]a]"sv, "a"sv, false},
    {"[\\]"sv, "]"sv, true},
    {"[\\]"sv, "\\"sv, false},
    {"[a-]"sv, "]"sv, true},
    {"[a-]"sv, "-"sv, false},
    {"[a-]"sv, "a"sv, true},
    {"[-a]"sv, "-"sv, true},
    {"[-a]"sv, "a"sv, true},
    {"[-a]"sv, "b"sv, false},
    {"[a-c-e]"sv, "d"sv, false},
    {"[a-c-e]"sv, "-"sv, true},
    {"[a-c-e]"sv, "e"sv, true},
    {"[\\a-c]"sv, "b"sv, false},
    {"[\\a-c]"sv, "-"sv, true},
    {"[a-\\]"sv, "]"sv, true},
    {"[a-\\]"sv, "b"sv, false},
    // Escapes outside sets; a trailing lone backslash is literal.
    {"\\"sv, "\\"sv, true},
    {"\\\\"sv, "\\"sv, true},
    {"\\*"sv, "*"sv, true},
    {"\\*"sv, "a"sv, false},
    {"a\\"sv, "a\\"sv, true},
    {"a\\"sv, "a"sv, false},
    // Mixed, binary and backtracking cases.
    {"*?"sv, "a"sv, true},
    {"*?*"sv, ""sv, false},
    {"?*"sv, "a"sv, true},
    {"a\000b"sv, "a\000b"sv, true},
    {"a?b"sv, "a\000b"sv, true},
    {"*\000"sv, "x\000"sv, true},
    {"[\000]"sv, "\000"sv, true},
    {"*["sv, "a["sv, false},
    {"*[a"sv, "xa"sv, true},
    {"[^a-z]"sv, "A"sv, true},
    {"[^a-z]"sv, "m"sv, false},
    {"[z-a]"sv, "m"sv, true},
    {"[!a]"sv, "!"sv, true},
    {"[!a]"sv, "b"sv, false},
    {"a[b-]"sv, "a]"sv, true},
    {"[]"sv, "]"sv, false},
    {"[]"sv, ""sv, false},
    {"[\\"sv, "\\"sv, true},
    {"[a\\"sv, "\\"sv, true},
    {"[^\\"sv, "\\"sv, false},
    {"[^\\"sv, "a"sv, true},
    {"*a*a*b"sv, "aab"sv, true},
    {"*a*a*b"sv, "ab"sv, false},
    {"*ab"sv, "aab"sv, true},
    {"a*"sv, "ba"sv, false},
    {"*.*"sv, "a.b"sv, true},
    {"h*o"sv, "hello"sv, true},
    {"h*o*"sv, "hello"sv, true},
    {"[a-a]"sv, "a"sv, true},
    {"[--]"sv, "-"sv, true},
    {"[---]"sv, "-"sv, true},
    {"[]-a]"sv, "]"sv, false},
    {"[^-]"sv, "-"sv, false},
    {"[^^]"sv, "^"sv, false},
    {"[^^]"sv, "a"sv, true},
    {"[\\^]"sv, "^"sv, true},
    {"[*]"sv, "*"sv, true},
    {"[*]"sv, "a"sv, false},
    {"[?]"sv, "a"sv, false},
    {"[?]"sv, "?"sv, true},
    {"*\\"sv, "a\\"sv, true},
    {"*\\*"sv, "a*"sv, true},
    {"*\\*"sv, "a"sv, false},
    {"\\?"sv, "?"sv, true},
    {"\\?"sv, "x"sv, false},
    {"a[^]b"sv, "a]b"sv, true},
    {"a[^]b"sv, "axb"sv, true},
    {"[[]"sv, "["sv, true},
    {"[a-z]*"sv, "q"sv, true},
};

bool Contains(const std::vector<std::string_view>& v, std::string_view s) {
  for (std::string_view x : v) {
    if (x == s) return true;
  }
  return false;
}

TEST_CASE("GlobMatch agrees with every PUBSUB CHANNELS line captured from Redis 7.0") {
  for (const CaptureLine& line : kCapture) {
    for (std::string_view channel : kCaptureChannels) {
      INFO("pattern ", Printable(line.pattern), " channel ", Printable(channel));
      CHECK(GlobMatch(line.pattern, channel) == Contains(line.matches, channel));
    }
  }
}

TEST_CASE("GlobMatch edge cases verified against redis-server 7.0.15") {
  for (const GlobCase& c : kEdgeCases) {
    INFO("pattern ", Printable(c.pattern), " subject ", Printable(c.subject));
    CHECK(GlobMatch(c.pattern, c.subject) == c.matches);
  }
}

TEST_CASE("GlobMatch is binary safe and never reads past either view") {
  // Views cut out of larger buffers: the bytes after each view must not influence the result,
  // unlike Redis, which peeks at the NUL ending its strings.
  const std::string pattern_buf = "a[b]c*]";
  const std::string subject_buf = "abcde";
  CHECK(GlobMatch(std::string_view(pattern_buf).substr(0, 2), "a[") == false);
  CHECK(GlobMatch(std::string_view(pattern_buf).substr(0, 3), "ab"));
  CHECK(GlobMatch(std::string_view(pattern_buf).substr(0, 5), subject_buf.substr(0, 3)));
  CHECK_FALSE(GlobMatch(std::string_view(pattern_buf).substr(0, 5), subject_buf.substr(0, 4)));
  CHECK(GlobMatch(std::string_view(pattern_buf).substr(0, 6), subject_buf));
  CHECK(GlobMatch("a\0*"sv, "a\0\0\0"sv));
  CHECK_FALSE(GlobMatch("a\0*"sv, "a"sv));
}

TEST_CASE("GlobMatch stays polynomial on pathological patterns") {
  const std::string as(10000, 'a');
  std::string pattern;
  for (int i = 0; i < 20; ++i) pattern += "*a";
  pattern += "*b";
  // Without a bounded backtracking strategy this is about C(10000, 20) attempts; it must finish.
  CHECK_FALSE(GlobMatch(pattern, as));
  CHECK(GlobMatch(pattern, as + "b"));

  // Many stars and long subjects must not grow the stack either.
  const std::string stars(100000, '*');
  CHECK(GlobMatch(stars, as));
  CHECK_FALSE(GlobMatch(stars + "b", as));
  CHECK(GlobMatch(stars + "a", as));

  // An unclosed set re-scanned at every backtrack: still O(pattern * subject).
  CHECK_FALSE(GlobMatch("*[" + std::string(1000, 'x'), as));
}

}  // namespace
}  // namespace herald::protocol
