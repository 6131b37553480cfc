#pragma once

#include <string_view>

namespace herald::protocol {

// Matches `str` against the Redis glob `pattern`, byte for byte (binary safe, case sensitive),
// with exactly the semantics of Redis 7.0's stringmatchlen(), quirks included:
//   `*` any run of bytes, `?` exactly one byte, `\x` the literal x (a trailing lone `\` is
//   literal),
//   `[...]` one byte of a set: `^` right after `[` negates (`!` does not), `a-z` ranges (reversed
//   ranges allowed), `\` escapes inside, `[]` never matches, an unclosed `[` runs to the end of
//   the pattern and re-reads its last byte as a member.
// Runs in O(len(pattern) * len(str)) time and constant stack, so a pathological pattern such as
// `*a*a*a*a*...b` cannot stall the caller.
bool GlobMatch(std::string_view pattern, std::string_view str);

}  // namespace herald::protocol
