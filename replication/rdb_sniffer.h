#pragma once

#include <cstdint>
#include <string_view>

namespace herald::repl {

// Tells, from the first bytes of an RDB file, whether it holds any data: herald discards its
// master's RDB, so a redis-server replicating from herald gets an empty data set, and herald
// warns when that loses something. An RDB without data is the magic "REDIS0010", auxiliary
// fields (opcode 0xFA, two strings each) and the EOF opcode 0xFF; anything else after the aux
// fields (0xFE SELECTDB, 0xF5 functions, a module's aux data, ...) is data. Pure and incremental:
// feed the RDB in pieces until the verdict is known; it never holds more than a few integers.
//
// A herald relay whose own master's RDB held data says so to its replicas with one aux field,
// kUpstreamDataAux = "1" (Redis skips aux fields it does not know), so that a node further down
// a chain warns too: that RDB is reported as kUpstreamData.
inline constexpr std::string_view kUpstreamDataAux = "herald-upstream-data";

class RdbSniffer {
 public:
  enum class Verdict : uint8_t {
    kUnknown,       // more bytes needed
    kEmpty,         // EOF right after the aux fields
    kData,          // something else came
    kUpstreamData,  // empty, but with kUpstreamDataAux: the data was dropped above
    kInvalid,       // not an RDB (no magic, or a length encoding RDB does not have)
  };

  // Reads as much of `bytes` as it needs; once the verdict is known, further input is ignored.
  Verdict Feed(std::string_view bytes);
  Verdict verdict() const { return verdict_; }

 private:
  enum class Step : uint8_t { kMagic, kOpcode, kLengthHeader, kLengthBytes, kSkip };
  // What the length being read is for.
  enum class Purpose : uint8_t { kString, kLzfCompressed, kLzfRaw };

  void OnLengthHeader(uint8_t byte);
  void OnLength(uint64_t value);
  void StringDone();

  Verdict verdict_ = Verdict::kUnknown;
  Step step_ = Step::kMagic;
  Purpose purpose_ = Purpose::kString;
  uint32_t magic_read_ = 0;
  uint32_t length_left_ = 0;  // bytes of a multi-byte length still to read
  uint64_t length_ = 0;
  uint64_t lzf_compressed_ = 0;
  uint64_t skip_ = 0;          // string bytes still to skip
  uint32_t strings_left_ = 0;  // strings of the current aux field still to read
  // The aux key being read could still be kUpstreamDataAux: its bytes matched so far.
  bool key_may_match_ = false;
  uint64_t key_matched_ = 0;
  bool upstream_data_ = false;  // an aux field kUpstreamDataAux came
};

}  // namespace herald::repl
