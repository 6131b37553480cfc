#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/gateway_subscriber.h"

namespace herald::bench {

// A Server-Sent Events subscriber on Herald's gateway.
//
// - Channel mode: `GET /sse/<channel>`; each event's data is one payload.
// - Pattern mode: `GET /sse?pattern=<pattern>`; each event's data is a JSON envelope
//   {"channel":..,"data":"<payload>","id":..,"pattern":..} (the id is skipped, whatever its type).
//
// The gateway registers the subscription when it queues the 200 response head, so the
// subscription is effective once the head has arrived (OnSubscribed then). The stream is parsed
// as the event-stream format says: lines end at CRLF, LF or CR; `data:` lines accumulate (joined
// with LF), `event:` names the event, `id:` and `retry:` are accepted and ignored, lines starting
// with ':' are comments (heartbeats, padding), and an empty line dispatches the event (nothing
// when it had no data). An event type other than "message" (e.g. a resume "gap") fails the run.
//
// Hot path: at an event boundary the common shape `id: <anything>\ndata: <payload>\n\n` is
// matched directly (a memchr for the end of the id line, fixed bytes around a payload of the
// expected size) and the payload handed over from the read buffer; anything else goes through the
// line parser, whose buffers keep their capacity.
class SseSubscriber final : public GatewaySubscriber {
 public:
  // `channel` is where messages are published; `pattern`, when not empty, is what to subscribe
  // to instead (pattern mode). `payload` is the expected payload size.
  SseSubscriber(LoopContext* ctx, SubscriberEvents* events, uint32_t index,
                const std::string* authority, const std::string* extra_headers,
                const std::string& channel, std::string pattern, size_t payload);

 private:
  int expected_status() const override { return 200; }
  void QueueRequest() override;
  bool OnResponseHead(std::string_view headers) override;
  size_t OnStream(const char* data, size_t len, uint64_t now_ns) override;
  // Tries the common event shape at data[0, len); returns the bytes it consumed, 0 if none.
  size_t FastEvent(const char* data, size_t len, uint64_t now_ns);
  void ProcessLine(std::string_view line, uint64_t now_ns);
  void Dispatch(uint64_t now_ns);
  // One event's data: the payload, or in pattern mode the JSON envelope around it.
  void HandleData(std::string_view data, uint64_t now_ns);

  std::string channel_;
  std::string pattern_;
  size_t payload_;
  std::string json_prefix_;  // {"channel":"<channel>","data":"
  std::string data_;         // data lines of the event being read, each followed by LF
  std::string event_;        // its event name
  bool has_data_ = false;
  bool skip_lf_ = false;  // the previous read ended with a CR: drop an LF that starts this one
  std::string scratch_;   // decoded JSON strings with escapes
};

}  // namespace herald::bench
