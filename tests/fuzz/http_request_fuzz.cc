// libFuzzer target for the gateway's HTTP request path: HttpRequestReader, then what the gateway
// does with a request (URL helpers, the WebSocket handshake check, SSE encoding of a body).
//
// Input: one configuration byte, then the bytes a browser sends on one connection. The stream is
// read the way a connection reads it (append what arrived, feed until kNeedMore, drop what was
// consumed) in one piece, in chunks whose sizes are read from the stream itself (the
// uWebSockets makeChunked idea), and byte by byte for short inputs. All runs must give the same
// requests ending at the same stream offsets and the same final verdict (see Agree()); every
// request must respect the limits and the checks the reader promises (no whitespace in names,
// trimmed values, HTTP/1.x, Host); and the helpers must keep their contracts on whatever the
// request holds.
//
// Configuration byte (the digit '0' means defaults, so seeds stay readable):
//   0x01 max_header_bytes 128, 0x02 max_body_bytes 16, 0x04 max_header_count 4,
//   0x08 require_host off.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/http_request.h"
#include "protocol/message_id.h"
#include "protocol/numbers.h"
#include "protocol/sse.h"
#include "protocol/websocket.h"
#include "tests/fuzz/fuzz_helpers.h"

namespace herald::fuzz {
namespace {

using herald::protocol::BuildWsHandshakeRejection;
using herald::protocol::BuildWsHandshakeResponse;
using herald::protocol::CheckWsHandshake;
using herald::protocol::EncodeSseEvent;
using herald::protocol::FormatMessageId;
using herald::protocol::HttpLimits;
using herald::protocol::HttpRequest;
using herald::protocol::HttpRequestReader;
using herald::protocol::HttpResult;
using herald::protocol::HttpStatusFor;
using herald::protocol::kFramingTooLarge;
using herald::protocol::MessageId;
using herald::protocol::ParseMessageId;
using herald::protocol::ParseQuery;
using herald::protocol::ParseUint64;
using herald::protocol::PercentDecode;
using herald::protocol::QueryParam;
using herald::protocol::SharedBytes;
using herald::protocol::SplitTarget;
using herald::protocol::SseEvent;
using herald::protocol::SseEventSize;
using herald::protocol::WsHandshakeResult;
using herald::protocol::WsHandshakeStatus;

struct Outcome {
  HttpResult result;
  std::string summary;   // the request as the server sees it; empty for errors
  size_t end;            // stream offset after the request; 0 for errors
  bool framing = false;  // a 413 for chunk extension / trailer bytes (see kFramingTooLarge)

  bool operator==(const Outcome& o) const {
    return result == o.result && summary == o.summary && end == o.end;
  }
};

// Runs of one stream must agree, with the one documented exception: a 413 for chunk extension
// or trailer bytes, counted as they arrive, may come out as llhttp's 400 for a syntax error
// further on, or the other way round, depending on where the reads ended.
bool Agree(const std::vector<Outcome>& a, const std::vector<Outcome>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    const bool last = i + 1 == a.size();
    const bool excused = (a[i].framing && b[i].result == HttpResult::kBadRequest) ||
                         (b[i].framing && a[i].result == HttpResult::kBadRequest);
    if (!last || !excused) return false;
  }
  return true;
}

std::string Summarize(const HttpRequest& r) {
  std::string s = r.method + ' ' + r.target + ' ' + std::to_string(r.version_major) + '.' +
                  std::to_string(r.version_minor) + (r.keep_alive ? " ka" : " close") +
                  (r.upgrade ? " up" : "");
  for (const auto& h : r.headers) s += '\n' + h.name + ':' + h.value;
  s += "\n\n" + r.body;
  return s;
}

// An SSE event carrying request bytes must still be exactly one event whose fields are the ones
// the encoder wrote: every line after id/event is a data line, and only the last line is empty.
void CheckSse(std::string_view id, std::string_view name, std::string_view data) {
  const SseEvent event{.id = id, .event = name, .data = data};
  const SharedBytes bytes = EncodeSseEvent(event);
  Check(bytes.size() == SseEventSize(event));
  std::string_view rest = bytes.view();
  Check(rest.size() >= 2 && rest.substr(rest.size() - 2) == "\n\n");
  rest.remove_suffix(1);  // the empty line that dispatches
  Check(rest.find('\r') == std::string_view::npos);
  bool seen_data = false;
  while (!rest.empty()) {
    const size_t lf = rest.find('\n');
    Check(lf != std::string_view::npos);
    const std::string_view line = rest.substr(0, lf);
    rest.remove_prefix(lf + 1);
    if (line.substr(0, 5) == "data:") {
      seen_data = true;
      continue;
    }
    Check(!seen_data);
    Check(line.substr(0, 4) == "id: " || line.substr(0, 7) == "event: ");
    if (line.substr(0, 4) == "id: ") Check(line.find('\0') == std::string_view::npos);
  }
  Check(seen_data);
}

// A message id that parses formats back to the same text.
void CheckMessageId(std::string_view text) {
  MessageId id;
  if (ParseMessageId(text, &id)) Check(FormatMessageId(id.epoch, id.offset) == text);
}

// What the gateway does with a request, checked against each helper's contract.
void CheckHelpers(const HttpRequest& r) {
  const auto parts = SplitTarget(r.target);
  Check(Inside(parts.path, r.target) || parts.path.empty());
  Check(Inside(parts.query, r.target) || parts.query.empty());
  Check(parts.path.find_first_of("?#") == std::string_view::npos);
  std::string decoded;
  if (PercentDecode(parts.path, false, &decoded)) Check(decoded.size() <= parts.path.size());
  std::vector<QueryParam> params;
  if (ParseQuery(parts.query, &params)) {
    size_t total = 0;
    for (const QueryParam& p : params) total += p.name.size() + p.value.size();
    Check(total <= parts.query.size());
    // Ids (since, lastEventId) and numbers (timeout) read back as they were written.
    for (const QueryParam& p : params) {
      uint64_t value = 0;
      if (ParseUint64(p.value, &value)) Check(std::to_string(value) == p.value);
      CheckMessageId(p.value);
    }
  }
  CheckMessageId(r.Header("Last-Event-ID"));

  const WsHandshakeResult handshake = CheckWsHandshake(r);
  if (handshake == WsHandshakeResult::kOk) {
    const std::string response = BuildWsHandshakeResponse(r);
    const size_t at = response.find("Sec-WebSocket-Accept: ");
    Check(at != std::string::npos);
    Check(response.substr(at + 22, 30).find("=\r\n") == 27);
  } else {
    const int status = WsHandshakeStatus(handshake);
    Check(status == 400 || status == 426);
    Check(BuildWsHandshakeRejection(handshake).find(std::to_string(status)) == 9);
  }

  CheckSse(r.target, r.method, r.body);
}

// Reads `stream` arriving in chunks of the sizes `chunk_sizes` gives.
std::vector<Outcome> ReadStream(std::string_view stream, const HttpLimits& limits,
                                ChunkSizes chunk_sizes) {
  HttpRequestReader reader(limits);
  std::string buffer;
  std::vector<Outcome> outcomes;
  size_t offset = 0;  // stream offset of buffer[0]
  const bool ended = FeedInChunks(stream, chunk_sizes, [&](std::string_view chunk) {
    buffer.append(chunk);
    for (;;) {
      size_t consumed = SIZE_MAX;
      const HttpResult result = reader.Feed(buffer, &consumed);
      Check(consumed <= buffer.size());
      offset += consumed;
      buffer.erase(0, consumed);
      if (result == HttpResult::kNeedMore) {
        Check(buffer.empty());
        return true;
      }
      if (result != HttpResult::kOk && result != HttpResult::kUpgrade) {
        const int status = HttpStatusFor(result);
        Check(status == 400 || status == 413 || status == 431 || status == 505);
        Check(!reader.error().empty());
        Check(reader.Feed(buffer, &consumed) == result);  // the error sticks
        outcomes.push_back({result, {}, 0, reader.error() == kFramingTooLarge});
        return false;
      }
      const HttpRequest& r = reader.request();
      Check(!r.method.empty() && !r.target.empty());
      Check(r.version_major == 1 && r.version_minor <= 1);
      Check(r.headers.size() <= limits.max_header_count);
      Check(r.body.size() <= limits.max_body_bytes);
      for (const auto& h : r.headers) {
        Check(!h.name.empty());
        Check(h.name.find_first_of(" \t\r\n:") == std::string::npos);
        Check(h.value.find_first_of("\r\n") == std::string::npos);
        Check(h.value.empty() || (h.value.front() != ' ' && h.value.front() != '\t' &&
                                  h.value.back() != ' ' && h.value.back() != '\t'));
      }
      if (limits.require_host && r.version_minor == 1) Check(r.HeaderCount("host") == 1);
      Check(r.upgrade == (result == HttpResult::kUpgrade));
      CheckHelpers(r);
      outcomes.push_back({result, Summarize(r), offset});
      if (result == HttpResult::kUpgrade) return false;  // the rest is not HTTP
    }
  });
  if (ended) outcomes.push_back({HttpResult::kNeedMore, {}, offset});
  return outcomes;
}

// One configuration byte (see the top of the file), then what the browser sends.
void TestOneInput(uint8_t config, std::string_view stream) {
  HttpLimits limits;
  if (config & 0x01) limits.max_header_bytes = 128;
  if (config & 0x02) limits.max_body_bytes = 16;
  if (config & 0x04) limits.max_header_count = 4;
  if (config & 0x08) limits.require_host = false;

  // In one piece, in chunks sized by the stream's own bytes, and byte by byte for short streams;
  // compared with Agree(), not ==.
  CheckChunkingInvariant(stream, std::bind_front(ReadStream, stream, limits), Agree);
}

}  // namespace
}  // namespace herald::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return herald::fuzz::RunWithConfigByte(data, size, herald::fuzz::TestOneInput);
}
