// libFuzzer target for the RDB sniffer (replication/rdb_sniffer.h).
//
// Input: the start of an RDB file. The sniffer must never crash, and its verdict must not depend
// on how the bytes are split: whole, one byte at a time and in pieces of 3 give the same answer.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "replication/rdb_sniffer.h"
#include "tests/fuzz/fuzz_helpers.h"

namespace {

herald::repl::RdbSniffer::Verdict InPieces(std::string_view input, size_t piece) {
  herald::repl::RdbSniffer sniffer;
  for (size_t at = 0; at < input.size(); at += piece) sniffer.Feed(input.substr(at, piece));
  return sniffer.verdict();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  herald::repl::RdbSniffer whole;
  const auto verdict = whole.Feed(input);
  herald::fuzz::Check(InPieces(input, 1) == verdict);
  herald::fuzz::Check(InPieces(input, 3) == verdict);
  return 0;
}
