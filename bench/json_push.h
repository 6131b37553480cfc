#pragma once

#include <string>
#include <string_view>

namespace herald::bench {

// The members of a gateway JSON push that the benchmark needs, e.g.
//   {"type":"pmessage","pattern":"hb:1:0:*","channel":"hb:1:0:m","data":"h0000...","id":"42"}
//   {"type":"psubscribe","pattern":"hb:1:0:*","count":1}
//   {"type":"error","message":"..."}
// Views point into the text given to ReadJsonPush() or into its scratch buffer. Any other
// member ("id", "count", ...) is skipped whatever its type, so the id stays opaque.
struct JsonPush {
  std::string_view type;
  std::string_view channel;
  std::string_view data;
  std::string_view message;
  bool has_data = false;
};

// Reads one JSON object (flat as far as the members above go; other members may hold any JSON
// value). String values with escapes are decoded into *scratch, which is cleared first and
// keeps its capacity, so steady-state use does not allocate. Returns false if `text` is not a
// JSON object or a wanted member is not a string.
bool ReadJsonPush(std::string_view text, std::string* scratch, JsonPush* out);

// The fast path for message pushes from Herald's gateway, which writes members in sorted order:
// if `text` starts with `prefix` (`{"channel":"<channel>","data":"`), is followed by exactly
// `size` bytes without a quote or backslash and then a closing quote, stores those bytes in
// *data and returns true. Otherwise returns false and the caller uses ReadJsonPush().
bool MatchJsonMessage(std::string_view text, std::string_view prefix, size_t size,
                      std::string_view* data);

}  // namespace herald::bench
