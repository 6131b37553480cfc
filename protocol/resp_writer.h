#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/shared_bytes.h"

namespace herald::protocol {

// Appends RESP2 or RESP3 replies to a std::string. Types that RESP2 lacks are written the way
// Redis 7.0 downgrades them: maps become flat arrays, sets and pushes arrays, null `$-1`
// (or `*-1` for NullArray), doubles bulk strings, booleans integers, verbatim strings bulk.
// The string is owned by the caller and only grows.
class RespWriter {
 public:
  RespWriter(std::string* out, int protocol) : out_(out), protocol_(protocol) {}

  int protocol() const { return protocol_; }

  void SimpleString(std::string_view s);
  // `text` is the whole error line without the leading '-', e.g. "ERR unknown command ...".
  void Error(std::string_view text);
  void Integer(int64_t value);
  void Bulk(std::string_view s);
  void Null();       // RESP3 `_`, RESP2 `$-1`
  void NullArray();  // RESP3 `_`, RESP2 `*-1`
  void Double(double value);
  void Bool(bool value);
  void Verbatim(std::string_view s, std::string_view format = "txt");
  void ArrayHeader(size_t n);
  void MapHeader(size_t n);  // n key/value pairs
  void SetHeader(size_t n);
  void PushHeader(size_t n);  // RESP3 `>`, RESP2 `*`

 private:
  void Header(char type, int64_t n);
  std::string* out_;
  int protocol_;
};

// Kinds of pub/sub frames a subscriber receives.
enum class PubSubKind : uint8_t { kMessage, kPMessage, kSMessage };

// Encodes one delivered message as Redis sends it: RESP2
// `*3 $7 message $<ch> <ch> $<len> <payload>` (or `*4 pmessage <pattern> ...`, `*3 smessage ...`),
// RESP3 the same with `>` instead of `*`. Returns a new block holding exactly those bytes, ready
// to be shared by every subscriber of that protocol.
SharedBytes EncodePubSubMessage(int protocol, PubSubKind kind, std::string_view pattern,
                                std::string_view channel, std::string_view payload);

}  // namespace herald::protocol
