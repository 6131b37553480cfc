#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "protocol/http_request.h"
#include "protocol/websocket.h"
#include "server/broker.h"
#include "server/channel_history.h"
#include "server/connection.h"

namespace herald::server {

class Server;
class GatewayConnection;

// The HTTP gateway: browsers reach the broker's channels over HTTP (POST /publish), Server-Sent
// Events (GET /sse) and WebSocket (GET /ws). It owns the gateway-wide state: the listener
// registration with the Server, one periodic timer that enforces request deadlines, idle
// keep-alive timeouts, SSE heartbeats and WebSocket liveness pings, and the set of live gateway
// connections that timer walks.
//
// Routes (anything else is 404, a known path with another method 405):
//   GET  /healthz                    200 "ok"
//   OPTIONS <any>                    CORS preflight (204, or 403 for an origin not allowed)
//   POST /publish/<channel>          body = message; {"receivers":N}; loopback or bearer token
//   GET  /sse/<channel>              text/event-stream of one channel (data = the message)
//   GET  /sse?channel=a&pattern=p*   several channels/patterns; data = a JSON envelope
//   GET  /ws/<channel>               WebSocket: frames in are published, messages pushed out
//   GET  /ws                         WebSocket speaking the JSON command protocol
//   GET  /poll/<channel>?since=&timeout=  long-polling: messages after `since` as JSON
//
// Message ids: the gateway observes every publish (RESP, gateway, replication) and gives each
// channel message an id from MessageIds (for now a per-node counter; later the replication
// offset), recorded with the message in the bounded ChannelHistory. SSE events carry it as
// `id:`, JSON pushes as "id"; SSE (Last-Event-ID / lastEventId) and /poll (since) resume from
// it, preceded by an explicit gap notice when the history no longer reaches back that far.
//
// Lifetime: create after the Server and destroy before it (it closes its timer in its
// destructor and lets the loop run the close callback).
class Gateway : public PublishObserver {
 public:
  explicit Gateway(Server* server);
  ~Gateway() override;
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Opens the gateway listeners (gateway-bind, gateway-port) and starts the timer. Returns true
  // without listening when gateway-port is 0; false with `*error` set if no listener opened.
  bool Start(std::string* error);

  Server& server() { return *server_; }

  // Connection registry for the timer; called by GatewayConnection's constructor and OnClosing.
  void Add(GatewayConnection* connection) { connections_.insert(connection); }
  void Remove(GatewayConnection* connection) { connections_.erase(connection); }

  // Set while a WebSocket binary message is being published, so that WebSocket subscribers
  // receive it as a binary frame too (the broker's Delivery carries no opcode). Messages from
  // other sources go out as text when they are valid UTF-8 and as binary otherwise.
  bool publishing_binary() const { return publishing_binary_; }
  int64_t Publish(std::string_view channel, std::string_view payload, bool binary);

  // The id of the channel message being published right now (valid inside Deliver(); the same
  // for every subscriber of one publish). Assigned on first use and then kept by OnPublish().
  uint64_t CurrentId();
  // The newest id assigned, 0 if none.
  uint64_t last_id() const { return ids_.last(); }
  ChannelHistory& history() { return history_; }

  void OnPublish(const PublishEvent& event) override;

 private:
  static void OnTick(uv_timer_t* handle);
  void Tick();
  void ApplyHistoryLimits();

  Server* server_;
  uv_timer_t timer_;
  bool timer_started_ = false;
  bool publishing_binary_ = false;
  bool observing_ = false;
  CounterMessageIds ids_;
  ChannelHistory history_;
  bool id_reserved_ = false;  // CurrentId() assigned an id to the publish in progress
  uint64_t tick_count_ = 0;
  std::unordered_set<GatewayConnection*> connections_;
};

// One HTTP client of the gateway. Starts as an HTTP/1.1 connection (keep-alive, pipelining);
// an SSE request turns it into an event stream and a WebSocket upgrade into a WebSocket, after
// which it is a broker Subscriber in the pubsub output-limit class (over the limit it is
// disconnected, like a slow RESP subscriber).
class GatewayConnection : public Connection, public Subscriber {
 public:
  GatewayConnection(Server* server, uint64_t id, Gateway* gateway);
  ~GatewayConnection() override;

  ClientClass output_class() const override;
  void Deliver(const Delivery& delivery, FrameCache& frames) override;

  // Called by the gateway timer about every 250 ms with the loop's time.
  void OnTick(uint64_t now_ms);

 protected:
  size_t ProcessInput(std::string_view data) override;
  void OnClosing() override;

 private:
  // What the connection speaks now.
  enum class Mode : uint8_t {
    kHttp,       // reading requests, answering them
    kSse,        // streaming events; input is ignored
    kWebSocket,  // exchanging frames
    kPoll,       // a long-poll waiting for a message of channel_
    kPollDone,   // a long-poll was answered from a delivery; unsubscribe, then back to kHttp
    kDone,       // a final response or close frame is queued; input is ignored
  };

  size_t ProcessHttp(std::string_view data);
  size_t ProcessWebSocket(std::string_view data);
  void HandleRequest(bool upgrade);
  void HandlePublish(std::string_view channel);
  void StartSse(std::string_view channel, const std::vector<protocol::QueryParam>& params);
  void StartWebSocket(std::string_view channel);
  void HandlePoll(std::string_view channel, const std::vector<protocol::QueryParam>& params);
  void FinishPoll();
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
  bool PublishAllowed(const std::vector<protocol::QueryParam>* params) const;

  Gateway* gateway_;
  protocol::HttpRequestReader reader_;
  protocol::WsDecoder decoder_;
  Mode mode_ = Mode::kHttp;
  bool in_request_ = false;         // bytes of an unfinished request have arrived
  bool head_only_ = false;          // the current request is HEAD
  bool multi_stream_ = false;       // SSE with several subscriptions: JSON envelopes
  bool json_protocol_ = false;      // WebSocket on /ws
  bool may_publish_ = false;        // WebSocket: incoming messages may be published
  uint64_t requests_ = 0;           // complete requests read so far
  uint64_t phase_start_ms_ = 0;     // when the current request or the idle period began
  uint64_t last_heartbeat_ms_ = 0;  // SSE heartbeat or WebSocket ping last sent
  uint64_t poll_deadline_ms_ = 0;   // kPoll: when to answer with no messages
  std::string channel_;             // /ws/<channel>, /poll/<channel>
};

}  // namespace herald::server
