// libFuzzer target for RequestParser.
//
// Input: one configuration byte, then a byte stream of pipelined requests. The stream is parsed
// the way a connection parses it (append what arrived, parse while requests complete, drop what
// was consumed) twice: in one piece, and in chunks whose sizes are read from the stream itself
// (the uWebSockets makeChunked idea), so the fuzzer steers both the bytes and the split points.
// Both runs must produce the same requests and end in the same state; every result must respect
// the Parse() contract; and every parsed request must survive a round trip through multibulk.
//
// Configuration byte (the digit '0' means defaults, so seeds stay readable):
//   0x01 unauthenticated client, 0x02 max_inline_len 16, 0x04 max_bulk_len 8,
//   0x08 no bulk limit (a master link).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_parser.h"
#include "tests/fuzz/fuzz_helpers.h"

namespace herald::fuzz {
namespace {

using herald::protocol::RequestLimits;
using herald::protocol::RequestParser;
using herald::protocol::RequestResult;

struct Event {
  RequestResult result;
  std::vector<std::string> args;
  size_t consumed;
  std::string error;

  bool operator==(const Event&) const = default;
};

std::string EncodeMultibulk(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args)
    out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  return out;
}

// Any request the parser accepted, re-sent as canonical multibulk, must come back unchanged.
void CheckRoundTrip(const std::vector<std::string>& args) {
  if (args.empty()) return;
  RequestLimits limits;
  limits.max_bulk_len = UINT64_MAX;
  RequestParser parser(limits);
  const std::string encoded = EncodeMultibulk(args);
  size_t consumed = 0;
  Check(parser.Parse(encoded, &consumed) == RequestResult::kOk);
  Check(consumed == encoded.size());
  Check(parser.args().size() == args.size());
  for (size_t i = 0; i < args.size(); ++i) Check(parser.args()[i] == args[i]);
}

// Parses `stream` arriving in chunks of the sizes `chunk_sizes` gives; returns every request
// parsed, then a last event for the final state (the error, or kNeedMore with the bytes left).
std::vector<Event> ParseStream(std::string_view stream, const RequestLimits& limits,
                               ChunkSizes chunk_sizes) {
  RequestParser parser(limits);
  std::string buffer;
  std::vector<Event> events;
  const bool ended = FeedInChunks(stream, chunk_sizes, [&](std::string_view chunk) {
    buffer.append(chunk);
    for (;;) {
      size_t consumed = SIZE_MAX;
      const RequestResult result = parser.Parse(buffer, &consumed);
      if (result == RequestResult::kNeedMore) {
        Check(consumed == 0);
        Check(parser.args().empty());
        Check(parser.error().empty());
        return true;
      }
      if (result == RequestResult::kError) {
        Check(consumed == 0);
        Check(parser.args().empty());
        Check(parser.error().substr(0, 16) == "Protocol error: ");
        Check(parser.error().find_first_of("\r\n") == std::string_view::npos);
        events.push_back({result, {}, 0, std::string(parser.error())});
        // The contract: an errored parser keeps refusing until Reset().
        Check(parser.Parse(buffer, &consumed) == RequestResult::kError);
        return false;
      }
      Check(result == RequestResult::kOk);
      Check(consumed > 0 && consumed <= buffer.size());
      Check(parser.error().empty());
      const std::string_view request(buffer.data(), consumed);
      Event event{result, {}, consumed, {}};
      for (std::string_view arg : parser.args()) {
        if (buffer[0] == '*') {
          Check(Inside(arg, request));
        } else {
          // Inline words either view the line or live in the parser's own storage.
          Check(Inside(arg, request) || !Overlaps(arg, buffer));
        }
        event.args.emplace_back(arg);
      }
      CheckRoundTrip(event.args);
      events.push_back(std::move(event));
      buffer.erase(0, consumed);
    }
  });
  if (ended) events.push_back({RequestResult::kNeedMore, {}, buffer.size(), {}});
  return events;
}

// One configuration byte (see the top of the file), then the request stream.
void TestOneInput(uint8_t config, std::string_view stream) {
  RequestLimits limits;
  limits.unauthenticated = (config & 0x01) != 0;
  if (config & 0x02) limits.max_inline_len = 16;
  if (config & 0x04) limits.max_bulk_len = 8;
  if (config & 0x08) limits.max_bulk_len = UINT64_MAX;

  // In one piece, in chunks sized by the stream's own bytes, and byte by byte for short streams.
  // As in Redis, a line longer than max_inline_len passes when its end arrives in the same read
  // as its first max_inline_len + 1 bytes, and is "too big" otherwise: a chunked run may stop at
  // such an error where the one-read run went on, but must agree with it up to there.
  auto agree = [](const std::vector<Event>& run, const std::vector<Event>& whole) {
    if (run == whole) return true;
    if (run.empty() || run.size() > whole.size()) return false;
    const Event& last = run.back();
    if (last.result != RequestResult::kError || last.error.find("too big") == std::string::npos) {
      return false;
    }
    return std::equal(run.begin(), run.end() - 1, whole.begin());
  };
  CheckChunkingInvariant(stream, std::bind_front(ParseStream, stream, limits), agree);
}

}  // namespace
}  // namespace herald::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return herald::fuzz::RunWithConfigByte(data, size, herald::fuzz::TestOneInput);
}
