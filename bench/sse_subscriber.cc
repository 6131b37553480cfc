#include "bench/sse_subscriber.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "bench/json_push.h"
#include "fmt/format.h"

namespace herald::bench {
namespace {

// An id line longer than this is left to the line parser.
constexpr size_t kMaxFastIdLine = 256;

}  // namespace

SseSubscriber::SseSubscriber(LoopContext* ctx, SubscriberEvents* events, uint32_t index,
                             const std::string* authority, const std::string* extra_headers,
                             const std::string& channel, std::string pattern, size_t payload)
    : GatewaySubscriber(ctx, events, index, authority, extra_headers),
      channel_(channel),
      pattern_(std::move(pattern)),
      payload_(payload) {
  if (!pattern_.empty()) json_prefix_ = fmt::format("{{\"channel\":\"{}\",\"data\":\"", channel_);
}

void SseSubscriber::QueueRequest() {
  const std::string target = pattern_.empty() ? "/sse/" + PercentEncode(channel_)
                                              : "/sse?pattern=" + PercentEncode(pattern_);
  Queue(
      fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\nCache-Control: "
                  "no-cache\r\n{}\r\n",
                  target, authority(), extra_headers()));
}

bool SseSubscriber::OnResponseHead(std::string_view headers) {
  std::string_view value;
  if (!FindHeader(headers, "Content-Type", &value) || !value.starts_with("text/event-stream")) {
    Abort(fmt::format("the SSE response is not text/event-stream (Content-Type '{}')", value));
    return false;
  }
  if (FindHeader(headers, "Transfer-Encoding", &value)) {
    // Herald streams the body raw until the connection closes; chunked framing would need a
    // decoder in front of the event parser.
    Abort(fmt::format("unsupported Transfer-Encoding '{}' on the event stream", value));
    return false;
  }
  // The gateway subscribed this connection when it queued this head.
  events_->OnSubscribed(index_);
  return true;
}

size_t SseSubscriber::FastEvent(const char* p, size_t len, uint64_t now_ns) {
  size_t q = 0;
  if (len >= 4 && std::memcmp(p, "id: ", 4) == 0) {
    const auto* nl =
        static_cast<const char*>(std::memchr(p + 4, '\n', std::min(len - 4, kMaxFastIdLine)));
    if (nl == nullptr) return 0;
    q = static_cast<size_t>(nl - p) + 1;
    if (std::memchr(p, '\r', q) != nullptr) return 0;
  }
  if (len - q < 6 || std::memcmp(p + q, "data: ", 6) != 0) return 0;
  const char* body = p + q + 6;
  const size_t rest = len - q - 6;
  size_t size;
  if (pattern_.empty()) {
    size = payload_;
    if (rest < size + 2 || body[size] != '\n' || body[size + 1] != '\n') return 0;
  } else {
    const auto* nl = static_cast<const char*>(std::memchr(body, '\n', rest));
    if (nl == nullptr) return 0;
    size = static_cast<size_t>(nl - body);
    if (size + 2 > rest || body[size + 1] != '\n') return 0;
  }
  if (std::memchr(body, '\r', size) != nullptr) return 0;
  HandleData(std::string_view(body, size), now_ns);
  return q + 6 + size + 2;
}

size_t SseSubscriber::OnStream(const char* data, size_t len, uint64_t now_ns) {
  size_t off = 0;
  while (off < len) {
    if (skip_lf_) {
      // The last read ended with a CR, taken as a line end; an LF right after it belongs to it.
      skip_lf_ = false;
      if (data[off] == '\n') {
        ++off;
        continue;
      }
    }
    if (!has_data_ && event_.empty()) {
      const size_t used = FastEvent(data + off, len - off, now_ns);
      if (used > 0) {
        off += used;
        if (closing()) return len;
        continue;
      }
    }
    // One whole line, or wait for more. A CR at the very end may be the first half of a CRLF:
    // the line ends there either way, and skip_lf_ drops the LF if it comes with the next read.
    const char* start = data + off;
    const char* end = data + len;
    const char* brk = start;
    while (brk < end && *brk != '\n' && *brk != '\r') ++brk;
    if (brk == end) break;
    size_t next = 1;
    if (*brk == '\r') {
      if (brk + 1 == end) {
        skip_lf_ = true;
      } else if (brk[1] == '\n') {
        next = 2;
      }
    }
    off = static_cast<size_t>(brk - data) + next;
    ProcessLine(std::string_view(start, static_cast<size_t>(brk - start)), now_ns);
    if (closing()) return len;
  }
  return off;
}

void SseSubscriber::ProcessLine(std::string_view line, uint64_t now_ns) {
  if (line.empty()) {
    Dispatch(now_ns);
    return;
  }
  if (line[0] == ':') return;  // a comment: heartbeat or padding
  const size_t colon = line.find(':');
  const std::string_view name = line.substr(0, colon);
  std::string_view value =
      colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  if (name == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (name == "event") {
    event_.assign(value);
  }
  // "id" (opaque here), "retry" (reconnection delay) and unknown fields are ignored.
}

void SseSubscriber::Dispatch(uint64_t now_ns) {
  if (!has_data_) {
    event_.clear();
    return;
  }
  data_.pop_back();  // the LF after the last data line
  if (!event_.empty() && event_ != "message") {
    Abort(fmt::format("unexpected event '{}' in the stream: {}", event_,
                      std::string_view(data_).substr(0, 120)));
    return;
  }
  HandleData(data_, now_ns);
  data_.clear();
  event_.clear();
  has_data_ = false;
}

void SseSubscriber::HandleData(std::string_view data, uint64_t now_ns) {
  if (pattern_.empty()) {
    events_->OnMessage(index_, data, now_ns);
    return;
  }
  std::string_view payload;
  if (MatchJsonMessage(data, json_prefix_, payload_, &payload)) {
    events_->OnMessage(index_, payload, now_ns);
    return;
  }
  JsonPush push;
  if (!ReadJsonPush(data, &scratch_, &push) || !push.has_data) {
    Abort(fmt::format("unexpected event data in a pattern stream: {}", data.substr(0, 120)));
    return;
  }
  events_->OnMessage(index_, push.data, now_ns);
}

}  // namespace herald::bench
