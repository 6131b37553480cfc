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
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_parser.h"

namespace {

using herald::protocol::RequestLimits;
using herald::protocol::RequestParser;
using herald::protocol::RequestResult;

// Fuzz targets must fail loudly on any broken invariant, in every build type.
void Check(bool ok) {
  if (!ok) std::abort();
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

bool Overlaps(std::string_view a, std::string_view b) {
  return a.data() < b.data() + b.size() && b.data() < a.data() + a.size();
}

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

// Parses `stream` arriving in chunks of the sizes `next_chunk` returns; returns every request
// parsed, then a last event for the final state (the error, or kNeedMore with the bytes left).
template <typename NextChunk>
std::vector<Event> ParseStream(std::string_view stream, const RequestLimits& limits,
                               NextChunk next_chunk) {
  RequestParser parser(limits);
  std::string buffer;
  std::vector<Event> events;
  size_t offset = 0;
  while (offset < stream.size()) {
    const size_t n = std::min(next_chunk(), stream.size() - offset);
    buffer.append(stream.substr(offset, n));
    offset += n;
    for (;;) {
      size_t consumed = SIZE_MAX;
      const RequestResult result = parser.Parse(buffer, &consumed);
      if (result == RequestResult::kNeedMore) {
        Check(consumed == 0);
        Check(parser.args().empty());
        Check(parser.error().empty());
        break;
      }
      if (result == RequestResult::kError) {
        Check(consumed == 0);
        Check(parser.args().empty());
        Check(parser.error().substr(0, 16) == "Protocol error: ");
        Check(parser.error().find_first_of("\r\n") == std::string_view::npos);
        events.push_back({result, {}, 0, std::string(parser.error())});
        // The contract: an errored parser keeps refusing until Reset().
        Check(parser.Parse(buffer, &consumed) == RequestResult::kError);
        return events;
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
  }
  events.push_back({RequestResult::kNeedMore, {}, buffer.size(), {}});
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t config = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  RequestLimits limits;
  limits.unauthenticated = (config & 0x01) != 0;
  if (config & 0x02) limits.max_inline_len = 16;
  if (config & 0x04) limits.max_bulk_len = 8;
  if (config & 0x08) limits.max_bulk_len = UINT64_MAX;

  const std::vector<Event> whole = ParseStream(stream, limits, [&] { return stream.size(); });

  // Chunk sizes 1..32 read cyclically from the stream, starting from its end so that the first
  // splits do not simply mirror the first request bytes.
  size_t cursor = 0;
  const auto chunked_size = [&]() -> size_t {
    if (stream.empty()) return 1;
    const auto byte = static_cast<uint8_t>(stream[stream.size() - 1 - cursor % stream.size()]);
    ++cursor;
    return 1 + byte % 32;
  };
  Check(ParseStream(stream, limits, chunked_size) == whole);

  if (stream.size() <= 512) {
    Check(ParseStream(stream, limits, [] { return size_t{1}; }) == whole);
  }
  return 0;
}
