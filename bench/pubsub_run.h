#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bench/histogram.h"
#include "bench/proc_stats.h"
#include "bench/resp_client.h"
#include "bench/roles.h"

namespace herald::bench {

// How publishers decide when to send the next message.
enum class Pacing {
  kPipeline,  // closed loop on replies: at most `pipeline` PUBLISHes unanswered per publisher
  kWindow,    // closed loop on deliveries: at most `window` messages per publisher not yet
              // received by every subscriber of their channel
  kRate,      // open loop: `rate` messages/s in total, stamped with their scheduled send time,
              // whatever the server does (so a server that falls behind shows as latency)
};

// Which subscriber transport a run uses (publishers always speak RESP).
enum class Transport {
  kResp,       // RespSubscriber on the server's RESP port
  kWebSocket,  // WsSubscriber on the HTTP gateway: /ws/<channel>, or /ws + PSUBSCRIBE
  kSse,        // SseSubscriber on the HTTP gateway: /sse/<channel>, or /sse?pattern=
};

// One measurement: who connects where and how traffic flows. Filled by a scenario preset.
struct RunConfig {
  std::string scenario;        // name, for progress lines only
  std::string label;           // server label, for progress lines only
  sockaddr_storage address{};  // where publishers connect
  Transport transport = Transport::kResp;
  // Where subscribers connect: subscriber i to sub_addresses[i % n] (n >= 1). RESP subscribers
  // use the server's (or a replica's) RESP port, WebSocket and SSE subscribers a gateway port.
  std::vector<sockaddr_storage> sub_addresses;
  std::vector<std::string> sub_authorities;  // "host:port" of each, the gateway's Host header
  std::string gateway_headers;  // extra header lines of gateway requests (--gateway-token)
  std::vector<int> sub_ports;   // the port of each, for per-port figures
  // Subscribers on other nodes than the publishers (a replication chain). Then setup publishes
  // probe messages (publisher id kProbePublisher, ignored by the checks) until one has reached a
  // subscriber on every sub address, i.e. every replica's link is up, and PUBLISH replies are
  // not checked (the master counts only its own subscribers).
  bool chain = false;
  RespSettings resp;
  uint32_t publishers = 1;
  uint32_t subscribers = 0;
  uint32_t channels = 1;  // subscriber i listens on channel i % channels; message n of every
                          // publisher goes to channel n % channels
  SubscribeMode mode = SubscribeMode::kChannel;
  size_t payload = 128;
  Pacing pacing = Pacing::kWindow;
  uint32_t pipeline = 1;
  uint32_t window = 1;
  double rate = 0;
  double warmup_s = 1;    // traffic before the measurement window opens
  double duration_s = 5;  // measurement window
  uint64_t messages = 0;  // total message budget over all publishers; 0 = none
  // Pause after every subscriber is in, before the publishers connect, while the server's RSS
  // settles (idle connection memory). It ends once RSS has dropped by no more than 1 % of its
  // growth (or 64 KiB) over the last 5 s, after at least settle_min_s, and at the latest after
  // settle_s. Redis frees idle clients' query buffers after 2 s and jemalloc returns freed pages
  // over about 10 s, so a fixed short pause overstates its memory per connection.
  double settle_s = 0;
  double settle_min_s = 3;
  double setup_timeout_s = 60;
  double drain_timeout_s = 10;
  uint32_t connect_concurrency = 256;  // subscribers connecting (not yet subscribed) at once
  int server_pid = 0;                  // 0: no /proc figures
  bool progress = true;                // progress lines on stderr
};

enum class RunStatus {
  kOk,
  kIntegrityFailure,   // lost, duplicated, reordered, misrouted or corrupt messages, or PUBLISH
                       // receiver counts that do not match the subscriptions
  kConnectionFailure,  // connect/read/write failure, close by the server, error reply
  kTimeout,            // setup or drain did not finish in time
};

// Counters at one instant, for differences over the measurement window.
struct Snapshot {
  uint64_t taken_ns = 0;
  uint64_t sent = 0;
  uint64_t replies = 0;
  uint64_t deliveries = 0;
  uint64_t client_cpu_ns = 0;
  ProcSample server;
};

struct RunResult {
  RunStatus status = RunStatus::kOk;
  std::string error;  // why the run failed; empty when kOk

  double setup_s = 0;        // first connect until every subscriber and publisher was ready
  double probe_s = 0;        // chain: subscribed until a probe had reached every sub address
  bool measured = false;     // the measurement window opened and closed
  Snapshot begin, end;       // at the measurement window's edges
  ProcSample baseline;       // the server before the run connected anything
  ProcSample settled;        // the server at the end of the settle pause (if settle_s > 0)
  double settle_used_s = 0;  // how long the settle pause lasted
  std::string tls;           // TLS: the first publisher's protocol and cipher

  // Totals over the whole run.
  uint64_t sent = 0;                 // messages published
  uint64_t replies = 0;              // PUBLISH replies received
  uint64_t expected_deliveries = 0;  // sum over sent messages of their channel's subscribers
  uint64_t deliveries = 0;           // distinct messages received (in order or late)
  uint64_t lost = 0;                 // expected_deliveries - deliveries at the end
  uint64_t duplicated = 0;
  uint64_t reordered = 0;       // received after a later message of the same publisher
  uint64_t misrouted = 0;       // received on a subscriber of another channel
  uint64_t corrupt = 0;         // payload of the wrong size or with a malformed header
  uint64_t reply_mismatch = 0;  // PUBLISH replies whose receiver count was not the expected one

  // Publish-to-receive time of messages sent inside the measurement window (every delivery).
  Histogram latency;
  // The same per sub address (index i % n), when there are several; empty otherwise.
  std::vector<Histogram> latency_by_sub;
  // Rate pacing only: how late the client sent messages relative to their schedule, inside the
  // window. Its tail is the client's own contribution to `latency`.
  Histogram send_lag;
};

// Runs one measurement on a private libuv loop and returns when every handle is closed.
// Bounded: setup, window and drain each have a deadline. Never throws.
RunResult RunPubSub(const RunConfig& config);

}  // namespace herald::bench
