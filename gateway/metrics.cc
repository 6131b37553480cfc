// GET /metrics: the Prometheus text exposition format (version 0.0.4) of what an operator
// watches: connections by transport, messages in and out, history drops and gaps, slow
// consumers cut off, replication position.

#include <fmt/format.h>

#include <iterator>
#include <string>

#include "gateway/gateway.h"
#include "server/server.h"

namespace herald::gateway {

using broker::Broker;
using broker::ChannelHistory;
using broker::MessageIdSource;
using server::Server;
using server::Stats;
namespace {

class Exposition {
 public:
  // Starts a metric family.
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }
  void Sample(std::string_view name, uint64_t value, std::string_view labels = {}) {
    if (labels.empty()) {
      fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
    } else {
      fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
    }
  }
  // A family with a single unlabelled sample.
  void One(std::string_view name, std::string_view type, std::string_view help, uint64_t value) {
    Family(name, type, help);
    Sample(name, value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string Gateway::RenderMetrics() {
  Server& server = *server_;
  const Broker& broker = server.broker();
  const Stats& stats = server.stats();
  uint64_t http = 0;
  uint64_t sse = 0;
  uint64_t websocket = 0;
  uint64_t poll = 0;
  for (const GatewayConnection* connection : connections_) {
    std::string_view transport = connection->transport();
    if (transport == "sse") {
      ++sse;
    } else if (transport == "websocket") {
      ++websocket;
    } else if (transport == "poll") {
      ++poll;
    } else {
      ++http;
    }
  }
  uint64_t resp = server.connection_count() - connections_.size();
  uint64_t gateway_deliveries =
      counters_.deliveries_sse + counters_.deliveries_websocket + counters_.deliveries_poll;

  Exposition e;
  e.One("herald_uptime_seconds", "gauge", "Seconds since the server started.",
        (server.now_ms() - server.start_ms()) / 1000);
  e.Family("herald_connections", "gauge", "Open client connections by transport.");
  e.Sample("herald_connections", resp, "transport=\"resp\"");
  e.Sample("herald_connections", http, "transport=\"http\"");
  e.Sample("herald_connections", sse, "transport=\"sse\"");
  e.Sample("herald_connections", websocket, "transport=\"websocket\"");
  e.Sample("herald_connections", poll, "transport=\"poll\"");
  e.One("herald_connections_received_total", "counter", "Connections accepted (RESP and gateway).",
        stats.connections_received);
  e.One("herald_rejected_connections_total", "counter", "Connections refused over maxclients.",
        stats.rejected_connections);

  e.Family("herald_messages_published_total", "counter",
           "Messages published, by where they came from.");
  e.Sample("herald_messages_published_total",
           broker.messages_published() - broker.messages_from_replication() - stats.published,
           "origin=\"resp\"");
  e.Sample("herald_messages_published_total", stats.published, "origin=\"gateway\"");
  e.Sample("herald_messages_published_total", broker.messages_from_replication(),
           "origin=\"replication\"");
  e.Family("herald_deliveries_total", "counter",
           "Messages queued to subscribers, by subscriber transport.");
  e.Sample("herald_deliveries_total", broker.deliveries() - gateway_deliveries,
           "transport=\"resp\"");
  e.Sample("herald_deliveries_total", counters_.deliveries_sse, "transport=\"sse\"");
  e.Sample("herald_deliveries_total", counters_.deliveries_websocket, "transport=\"websocket\"");
  e.Sample("herald_deliveries_total", counters_.deliveries_poll, "transport=\"poll\"");
  e.One("herald_poll_sessions", "gauge",
        "Long-poll sessions kept subscribed between polls (gateway-poll-grace).",
        kept_poll_sessions_);
  e.One("herald_websocket_messages_received_total", "counter",
        "WebSocket data messages received from clients.", counters_.websocket_messages_in);

  e.Family("herald_slow_consumer_disconnects_total", "counter",
           "Clients disconnected for exceeding their output buffer limit (their queued "
           "messages are dropped).");
  e.Sample("herald_slow_consumer_disconnects_total",
           stats.output_limit_disconnections - stats.gateway_output_limit_disconnections,
           "transport=\"resp\"");
  e.Sample("herald_slow_consumer_disconnects_total", stats.gateway_output_limit_disconnections,
           "transport=\"gateway\"");
  e.One("herald_query_buffer_disconnects_total", "counter",
        "RESP clients disconnected for exceeding client-query-buffer-limit.",
        stats.query_limit_disconnections);

  e.One("herald_http_requests_total", "counter", "HTTP requests read by the gateway.",
        counters_.requests);
  e.One("herald_http_errors_total", "counter",
        "Gateway requests answered with an error status, and WebSockets closed for a protocol "
        "error.",
        counters_.errors);

  ChannelHistory& kept = history();
  e.One("herald_history_messages", "gauge", "Messages kept for resuming clients.",
        kept.message_count());
  e.One("herald_history_bytes", "gauge", "Payload bytes kept for resuming clients.",
        kept.total_bytes());
  e.One("herald_history_channels", "gauge", "Channels with kept messages.", kept.channel_count());
  e.One("herald_history_evicted_total", "counter",
        "Messages dropped from the history by its count, byte and age limits.", kept.evicted());
  e.One("herald_history_reads_total", "counter", "Resumes and polls served from the history.",
        counters_.history_reads);
  e.One("herald_history_gaps_total", "counter",
        "Resumes told that messages were missed (history too short, or another history).",
        counters_.gaps);

  e.Family("herald_gateway_rejected_connections_total", "counter",
           "Gateway connections refused (503), by the limit they hit.");
  e.Sample("herald_gateway_rejected_connections_total", counters_.rejected_maxclients,
           "limit=\"maxclients\"");
  e.Sample("herald_gateway_rejected_connections_total", counters_.rejected_per_address,
           "limit=\"per_address\"");
  e.One("herald_gateway_metrics_refused_total", "counter",
        "/metrics requests refused (not from gateway-metrics-from, no publish token).",
        counters_.metrics_refused);
  const GatewayAuth::Counters& auth = auth_.counters();
  e.One("herald_gateway_tokens_accepted_total", "counter", "Browser tokens (JWT) verified.",
        auth.accepted);
  e.Family("herald_gateway_tokens_refused_total", "counter",
           "Browser tokens refused, by reason (forged, expired, malformed, ...).");
  for (size_t i = 1; i < protocol::kJwtErrorCount; ++i) {
    if (auth.refused[i] == 0) continue;  // the label set stays readable: reasons that happened
    e.Sample(
        "herald_gateway_tokens_refused_total", auth.refused[i],
        fmt::format("reason=\"{}\"", protocol::JwtErrorName(static_cast<protocol::JwtError>(i))));
  }
  if (auth.unknown_user != 0) {
    e.Sample("herald_gateway_tokens_refused_total", auth.unknown_user, "reason=\"unknown_user\"");
  }
  e.One("herald_gateway_auth_missing_total", "counter",
        "Subscribes and publishes refused for want of a token (gateway-auth required).",
        auth.missing);
  e.Family("herald_gateway_forbidden_total", "counter",
           "Subscribes and publishes outside the client's grants.");
  e.Sample("herald_gateway_forbidden_total", auth.forbidden_subscribe, "action=\"subscribe\"");
  e.Sample("herald_gateway_forbidden_total", auth.forbidden_publish, "action=\"publish\"");
  e.One("herald_gateway_tokens_expired_total", "counter",
        "Gateway connections closed because their token expired.", auth.expired_connections);

  // The replication stream, as the broker knows it (its id source); absent in unit setups.
  const MessageIdSource* stream = broker.id_source();
  e.One("herald_replication_offset", "gauge",
        "The replication stream offset (master_repl_offset): the newest message id.",
        stream != nullptr ? stream->line().offset : 0);
  e.One("herald_connected_replicas", "gauge", "Replicas attached to this node.",
        stream != nullptr ? stream->replica_count() : 0);
  e.One("herald_master_link_up", "gauge", "1 when this node is a replica with its link up.",
        stream != nullptr && stream->master_link_up() ? 1 : 0);
  return e.Take();
}

}  // namespace herald::gateway
