#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/broker.h"
#include "broker/channel_history.h"
#include "gateway/auth.h"
#include "protocol/http_request.h"
#include "protocol/websocket.h"
#include "server/connection.h"

namespace herald::gateway {

class GatewayConnection;
class PollSession;

// WebSocket close codes for refusals: a token that is missing, invalid or has expired gets one
// of the private range (RFC 6455 section 7.4.2: 4000-4999), mirroring HTTP 401; a publish or
// subscription outside the grants gets 1008 (policy violation).
inline constexpr uint16_t kWsCloseTokenExpired = 4001;
inline constexpr uint16_t kWsCloseForbidden = protocol::kWsClosePolicyViolation;
// A publish on a replica that could not reach the master (RFC 6455's registry: 1013, try again
// later): the raw channel socket has no other way to say a message was not published.
inline constexpr uint16_t kWsCloseTryAgainLater = 1013;

// The HTTP gateway: browsers reach the broker's channels over HTTP (POST /publish), Server-Sent
// Events (GET /sse) and WebSocket (GET /ws). It owns the gateway-wide state: the listener
// registration with the Server, one periodic timer that enforces request deadlines, idle
// keep-alive timeouts, SSE heartbeats and WebSocket liveness pings, and the set of live gateway
// connections that timer walks.
//
// Routes (anything else is 404, a known path with another method 405):
//   GET  /  and  /herald.js          the demo chat page and the browser client (gateway_assets.h)
//   GET  /healthz                    200 "ok"
//   GET  /metrics                    Prometheus text exposition (gateway_metrics.cc)
//   OPTIONS <any>                    CORS preflight (204, or 403 for an origin not allowed)
//   POST /publish/<channel>          body = message; {"receivers":N,"id":..}; see PublishAllowed
//   GET  /sse/<channel>              text/event-stream of one channel (data = the message)
//   GET  /sse?channel=a&pattern=p*   several channels/patterns; data = a JSON envelope
//   GET  /ws/<channel>               WebSocket: frames in are published, messages pushed out
//   GET  /ws                         WebSocket speaking the JSON command protocol
//   GET  /poll/<channel>, /poll?channel=&pattern=   long-polling: messages after `since` as JSON
//
// Message ids: every message published on a master gets the replication stream offset past
// its PUBLISH (Delivery::id, assigned by the broker's MessageIdSource), which is the same on
// every node of a replication tree; clients see it as "<replid prefix>-<offset>" (FormatId).
// Channel messages are recorded in the bounded ChannelHistory; SSE (Last-Event-ID /
// lastEventId), /ws (lastEventId) and /poll (since) resume from an id, preceded by an explicit
// gap notice when the history no longer reaches back that far or the id names another history.
//
// Lifetime: create after the Server and destroy before it (it closes its timer in its
// destructor and lets the loop run the close callback).
class Gateway : public broker::PublishObserver {
 public:
  explicit Gateway(server::Server* server);
  ~Gateway() override;
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Opens the gateway listeners (gateway-bind, gateway-port) and starts the timer. Returns true
  // without listening when gateway-port is 0; false with `*error` set if no listener opened.
  bool Start(std::string* error);
  // After Start() failed: whether for a configuration that cannot work (the server should
  // exit, as for a bad redis.conf), rather than for a port that could not be opened.
  bool config_error() const { return config_error_; }

  server::Server& server() { return *server_; }

  // Connection registry for the timer; called by GatewayConnection's constructor and OnClosing.
  // Remove() of a connection that is not registered does nothing.
  void Add(GatewayConnection* connection);
  void Remove(GatewayConnection* connection);
  // Per-address accounting for gateway-max-per-address: the connections from `ip` (once
  // accepted; peers in gateway-trusted-proxies are not counted, they speak for many).
  uint32_t CountAddress(std::string_view ip, int delta);
  size_t connection_count() const { return connections_.size(); }

  // Set while a WebSocket binary message is being published, so that WebSocket subscribers
  // receive it as a binary frame too (the broker's Delivery carries no opcode). Messages from
  // other sources go out as text when they are valid UTF-8 and as binary otherwise.
  bool publishing_binary() const { return publishing_binary_; }
  int64_t Publish(std::string_view channel, std::string_view payload, bool binary);
  // The id of the last message published through Publish() (0: none, as on a replica).
  uint64_t last_publish_id() const { return last_publish_id_; }

  // Message ids as clients see them: "<first 12 hex digits of the replication ID>-<offset>".
  // The offset (Delivery::id) is the replication stream position past the message's PUBLISH,
  // the same on every node of a replication tree; the replication ID names the history it
  // belongs to, so that an id from before a restart or from an unrelated server is recognised.
  std::string FormatId(uint64_t id) const;
  // The JSON value of an id: a string, or null for a message without one.
  nlohmann::json IdJson(uint64_t id) const;
  // The stream position a client's id stands for on this node, for ChannelHistory::Since;
  // UINT64_MAX when it is not of this node's history (reported as a gap, everything kept).
  uint64_t ResolveId(std::string_view text) const;
  // The newest stream position: an id standing for "everything so far".
  uint64_t last_offset() const;
  // The history, first emptied if the node's stream restarted (a full resynchronization).
  broker::ChannelHistory& history();

  void OnPublish(const broker::PublishEvent& event) override;

  // Long-poll sessions (poll.cc, poll.h). Find: a live kept session by the id clients hold
  // (null: none). New: subscribes a session to the (sorted, unique) names; `keep` asks for one
  // that outlives its polls (refused, so not kept, when gateway-poll-grace is 0 or
  // gateway-maxclients sessions are kept already). End: answers its waiting poll (empty) and
  // kills it. Reap: destroys the killed ones; never call it during a delivery.
  PollSession* FindPollSession(std::string_view id);
  PollSession* NewPollSession(std::vector<std::string> channels, std::vector<std::string> patterns,
                              bool keep);
  void EndPollSession(PollSession* session);
  void ReapPollSessions();
  size_t poll_session_count() const { return kept_poll_sessions_; }

  // What /metrics reports beyond the server's own statistics.
  struct Counters {
    uint64_t requests = 0;               // HTTP requests read (upgrades included)
    uint64_t errors = 0;                 // answered 4xx/5xx, or a WebSocket closed for an error
    uint64_t deliveries_sse = 0;         // messages queued to SSE streams
    uint64_t deliveries_websocket = 0;   // messages queued to WebSockets
    uint64_t deliveries_poll = 0;        // messages to long-poll sessions
    uint64_t websocket_messages_in = 0;  // WebSocket data messages received
    uint64_t history_reads = 0;          // resumes and polls served from the history
    uint64_t gaps = 0;                   // of them, told about a gap first
    uint64_t rejected_maxclients = 0;    // connections refused over gateway-maxclients
    uint64_t rejected_per_address = 0;   // ... over gateway-max-per-address
    uint64_t metrics_refused = 0;        // /metrics requests from outside gateway-metrics-from
  };
  Counters& counters() { return counters_; }
  // Browser tokens: the keys and rules of gateway-auth, and their counters.
  GatewayAuth& auth() { return auth_; }
  // What clients without a token may subscribe to where tokens are optional.
  const broker::ChannelGrants& anonymous_grants() const { return anonymous_grants_; }
  // The Prometheus text exposition of the server's and the gateway's metrics (gateway_metrics.cc).
  std::string RenderMetrics();

 private:
  static void OnTick(uv_timer_t* handle);
  void Tick();
  void ApplyHistoryLimits();
  // (Re)reads the gateway-auth directives; logs a refused change or a doubtful setting.
  bool ApplyAuthConfig(bool starting, std::string* error);
  // Kills the kept sessions whose grace period is over (poll.cc).
  void ExpirePollSessions(uint64_t now_ms);
  void DestroyPollSessions();

  server::Server* server_;
  uv_timer_t timer_;
  bool timer_started_ = false;
  bool publishing_binary_ = false;
  bool observing_ = false;
  bool config_error_ = false;
  broker::ChannelHistory history_;
  uint64_t history_generation_ = 0;  // broker::MessageIdSource::Line::generation the history is of
  uint64_t last_publish_id_ = 0;
  Counters counters_;
  GatewayAuth auth_;
  broker::ChannelGrants anonymous_grants_;
  uint64_t tick_count_ = 0;
  // The live gateway connections, in no particular order. Each knows its position
  // (GatewayConnection::registry_index_), so removal is O(1) with no per-connection hash node.
  std::vector<GatewayConnection*> connections_;
  std::unordered_map<std::string, uint32_t> per_address_;  // gateway connections by peer IP
  // Long-poll sessions by id (kept ones by the id handed to the client, others by "~<n>").
  std::unordered_map<std::string, std::unique_ptr<PollSession>> poll_sessions_;
  size_t kept_poll_sessions_ = 0;
  uint64_t poll_session_seq_ = 0;
};

// One HTTP client of the gateway. Starts as an HTTP/1.1 connection (keep-alive, pipelining);
// an SSE request turns it into an event stream and a WebSocket upgrade into a WebSocket, after
// which it is a broker Subscriber in the pubsub output-limit class (over the limit it is
// disconnected, like a slow RESP subscriber).
class GatewayConnection : public server::Connection, public broker::Subscriber {
 public:
  GatewayConnection(server::Server* server, uint64_t id, Gateway* gateway);
  ~GatewayConnection() override;

  config::ClientClass output_class() const override;
  bool is_gateway() const override { return true; }
  // "http", "sse", "websocket" or "poll": what the connection speaks now (metrics).
  std::string_view transport() const;
  void Deliver(const broker::Delivery& delivery, broker::FrameCache& frames) override;

  // Called by the gateway timer about every 250 ms with the loop's time.
  void OnTick(uint64_t now_ms);

 protected:
  size_t ProcessInput(std::string_view data) override;
  void OnClosing() override;
  void OnAccepted() override;

 private:
  friend class Gateway;  // keeps registry_index_

  // What the connection speaks now.
  enum class Mode : uint8_t {
    kHttp,       // reading requests, answering them
    kSse,        // streaming events; input is ignored
    kWebSocket,  // exchanging frames
    kPoll,       // a long-poll waiting for a message of its session's subscriptions
    kPollDone,   // a long-poll was answered from a delivery; back to kHttp with the next event
    kDone,       // a final response or close frame is queued; input is ignored
    kWsLinger,   // our close frame and a FIN are sent; input is discarded until the peer
                 // closes too or stays silent (see SendWsClose)
  };

  size_t ProcessHttp(std::string_view data);
  size_t ProcessWebSocket(std::string_view data);
  void HandleRequest(bool upgrade);
  void HandlePublish(std::string_view channel);
  void StartSse(std::string_view channel, const std::vector<protocol::QueryParam>& params);
  void StartWebSocket(std::string_view channel);
  void HandlePoll(std::string_view channel, const std::vector<protocol::QueryParam>& params);
  void SubscribeAll(const std::vector<std::string>& channels,
                    const std::vector<std::string>& patterns);
  // /ws with lastEventId: what a SUBSCRIBE / PSUBSCRIBE adds is first replayed from history.
  void ReplayJson(const std::vector<std::string>& names, bool pattern);
  // Leaves kPoll / kPollDone for kHttp; a poll still waiting lets go of its session.
  void FinishPoll();
  // Answers the waiting poll with `delivery` (null: no message) and the id of `session` when it
  // is kept; returns the answer's last_id. Called by PollSession::Deliver and on timeouts.
  std::string AnswerPoll(const broker::Delivery* delivery, const PollSession* session);
  friend class PollSession;  // AnswerPoll
  void HandleWsMessage(protocol::WsOpcode opcode, std::string_view payload);
  void HandleJsonCommand(std::string_view text);
  void SendWsClose(uint16_t code, std::string_view reason);
  void PushJson(const std::string& json);
  // Queues a complete response with a Content-Length body. `extra_headers` are whole
  // "Name: value\r\n" lines. Closes after it when `close` is set or the request asked to.
  void Respond(int status, std::string_view content_type, std::string_view body,
               std::string_view extra_headers = {}, bool close = false);
  // CORS response headers for the current request's Origin ("" when none apply).
  std::string CorsHeaders() const;
  bool OriginAllowed(std::string_view origin) const;
  // Who the client is (access.cc): the token from the Authorization header ("Bearer ...") or a
  // `token` query parameter is either gateway-publish-token (publish_token_) or a JWT
  // (identity_). Answers 401 and returns false for a token that does not verify.
  bool Authenticate(const std::vector<protocol::QueryParam>& params);
  // Verifies a JWT and makes it the connection's identity; false (and *error) if refused.
  // A token naming an ACL user that does not exist or is off is refused as "unknown_user".
  struct TokenRefusal {
    std::string_view name;     // a JwtErrorName, or "unknown_user"
    std::string_view message;  // a sentence for the client
  };
  bool UseToken(std::string_view token, TokenRefusal* refusal);
  // Whether the identity may subscribe to `name` (a pattern when `pattern`) or publish to it:
  // the token's grants and, when it names an ACL user, that user's rules.
  bool IdentityMay(bool publish, std::string_view name, bool pattern) const;
  // Whether the client may subscribe to these channels and patterns: 0, or the HTTP status that
  // refuses it (401 no token where one is required, 403 outside the grants, 400 over
  // gateway-max-subscriptions) with a sentence in *why. Counts refusals.
  // `adding`: they are to be added to what the connection holds (else: a re-check of it).
  int SubscribeStatus(const std::vector<std::string>& channels,
                      const std::vector<std::string>& patterns, std::string* why,
                      bool adding = true);
  // The same for publishing to `channel`.
  int PublishStatus(std::string_view channel, std::string* why);
  // The broker's forwarder when this node is a replica (its publishes go to the master),
  // else nullptr.
  broker::PublishForwarder* ActiveForwarder() const;
  // Answers a refusal of SubscribeStatus/PublishStatus over HTTP (JSON body; 401 with
  // WWW-Authenticate).
  void RespondRefusal(int status, std::string_view why, bool close);
  // Whether the request's Origin may use the gateway's WebSocket and publish endpoints: no Origin
  // (not a browser), one of gateway-cors-origins, or, when that is empty, the page's own origin
  // (the Host the request was sent to).
  bool OriginPermitted() const;
  // The client's IP address: the peer's, or, when the peer is one of gateway-trusted-proxies,
  // the address its gateway-proxy-header names (the nearest hop that is not a trusted proxy).
  std::string ClientIp() const;
  // Whether /metrics may be read: a client address in gateway-metrics-from, or the publish token.
  bool MetricsPermitted(const std::vector<protocol::QueryParam>& params) const;
  // The grants the client subscribes with.
  const broker::ChannelGrants& subscribe_grants() const;
  // Closes the connection if its token has expired (SSE: an "error" event first; WebSocket:
  // close code 4001). Returns true if it did.
  bool ExpireToken(int64_t now);
  // Whether gateway-publish-channels lets gateway clients publish to `channel`.
  bool ChannelAllowed(std::string_view channel) const;
  // WebSocket on /ws/<channel> (!json_protocol_): the channel.
  const std::string& ws_channel() const { return ws_name_; }
  // WebSocket on /ws (json_protocol_): the lastEventId to resume from, empty for none.
  const std::string& resume_id() const { return ws_name_; }

  // An idle event stream or WebSocket must cost the server little (the target is under 1 KB per
  // connection with everything else it holds), so what only one mode needs lives on the heap
  // for just that mode, and the small members are packed at the end.
  Gateway* gateway_;
  // The request reader while the connection speaks HTTP: created with the connection, released
  // (with the last request) when it becomes an event stream or a WebSocket. Null from then on,
  // and Respond()/CorsHeaders(), the only readers of the request outside HandleRequest(), are
  // not called in those modes.
  std::unique_ptr<protocol::HttpRequestReader> reader_;
  // kWebSocket: the frame decoder, created when frame bytes arrive and dropped again as soon as
  // it rests between frames (WsDecoder::idle()), so an idle WebSocket holds none.
  std::unique_ptr<protocol::WsDecoder> decoder_;
  // The time the mode's timer counts from, by mode (one field, as each mode needs one):
  //   kHttp       when the current request or the idle keep-alive period began
  //   kSse        when the last heartbeat was sent (or the stream started)
  //   kWebSocket  when the last ping was sent (or the upgrade happened)
  //   kPoll       when to answer with no messages (a deadline, not a start)
  //   kWsLinger   when our close frame and FIN went out
  uint64_t mode_ms_ = 0;
  // kWebSocket on /ws/<channel>: the channel; on /ws: the lastEventId the client resumes from,
  // as it sent it (empty: no resume). See ws_channel() and resume_id().
  std::string ws_name_;
  // kPoll: the session the poll waits on (it is the broker subscriber, not this connection).
  PollSession* poll_session_ = nullptr;
  // The verified token the client brought (null: none), shared with nobody else.
  std::shared_ptr<const GatewayAuth::Identity> identity_;
  uint32_t registry_index_ = 0;  // position in Gateway::connections_
  Mode mode_ = Mode::kHttp;
  bool in_request_ : 1 = false;        // bytes of an unfinished request have arrived
  bool had_request_ : 1 = false;       // a complete request has been read
  bool awaiting_forward_ : 1 = false;  // a publish forwarded to our master awaits its answer
  bool head_only_ : 1 = false;         // the current request is HEAD
  bool multi_stream_ : 1 = false;      // SSE with several subscriptions: JSON envelopes
  bool json_protocol_ : 1 = false;     // WebSocket on /ws
  bool publish_token_ : 1 = false;     // the client brought gateway-publish-token
  bool counted_address_ : 1 = false;   // counted in Gateway::per_address_
};

}  // namespace herald::gateway
