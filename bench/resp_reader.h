#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace herald::bench {

// Client-side RESP2/RESP3 reply reader, kept minimal and allocation-free for the delivery path:
// it recognises every RESP3 type so that any reply can be skipped, but records only the
// top-level value and the first few children of an aggregate, which is all a pub/sub benchmark
// needs (["message", channel, payload], [":", count], a HELLO map to skip).
enum class RespType : uint8_t {
  kSimple,     // +text
  kError,      // -text
  kInteger,    // :n
  kBulk,       // $n, also RESP3 verbatim (=n)
  kBulkError,  // !n
  kNull,       // _ , $-1, *-1
  kBoolean,    // #t / #f (integer 1 / 0)
  kDouble,     // ,text (kept as text)
  kBigNumber,  // (text
  kArray,      // *n
  kPush,       // >n (RESP3 out-of-band: pub/sub messages)
  kMap,        // %n (integer holds 2n: keys and values are counted as children)
  kSet,        // ~n
};

// One value. Views point into the buffer given to ReadFrame() and are valid as long as it is.
struct RespValue {
  RespType type = RespType::kNull;
  int64_t integer = 0;   // kInteger/kBoolean value, or an aggregate's number of children
  std::string_view str;  // text of strings, errors, doubles and big numbers
};

struct RespFrame {
  static constexpr size_t kMaxCaptured = 4;
  RespValue top;
  // How many leading children of an aggregate `top` are in child[]; nested aggregates among
  // them are recorded by type and size only.
  size_t captured = 0;
  RespValue child[kMaxCaptured];
};

enum class ReadStatus {
  kOk,             // one complete reply; *consumed is its length
  kNeedMore,       // the reply is incomplete; nothing consumed
  kProtocolError,  // not RESP, nested deeper than 8, or absurd lengths; the stream is lost
};

// Reads the reply at the start of data[0, len) into *frame. Stateless: after kNeedMore the
// caller offers the same bytes again with more appended, and the reply is re-read from its
// start (cheap: headers are short, and bulk bodies are skipped, not scanned).
ReadStatus ReadFrame(const char* data, size_t len, RespFrame* frame, size_t* consumed);

}  // namespace herald::bench
