#include "bench/scenario.h"

#include <netdb.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <vector>

#include "bench/message.h"
#include "bench/report.h"
#include "fmt/format.h"

namespace herald::bench {
namespace {

bool Resolve(const std::string& host, int port, sockaddr_storage* out, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    *error = fmt::format("cannot resolve {}: {}", host, ::gai_strerror(rc));
    return false;
  }
  std::memcpy(out, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  return true;
}

const char* PacingName(Pacing p) {
  switch (p) {
    case Pacing::kPipeline:
      return "pipeline";
    case Pacing::kWindow:
      return "window";
    case Pacing::kRate:
      return "rate";
  }
  return "?";
}

double Us(uint64_t ns) { return static_cast<double>(ns) / 1e3; }

// "[1,2,3]"
std::string PortList(const std::vector<int>& ports) {
  std::string out = "[";
  for (size_t i = 0; i < ports.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "{}{}", i == 0 ? "" : ",", ports[i]);
  }
  out += ']';
  return out;
}

// The Host header for host:port (IPv6 literals in brackets).
std::string Authority(const std::string& host, int port) {
  return host.find(':') == std::string::npos ? fmt::format("{}:{}", host, port)
                                             : fmt::format("[{}]:{}", host, port);
}

// Percentiles of the latency CDF in the result (for plotting a latency distribution).
constexpr double kCdfPercentiles[] = {0,  1,  5,  10, 20, 30,   40,   50,    60, 70,
                                      80, 90, 95, 98, 99, 99.5, 99.9, 99.99, 100};

// [[percentile, microseconds], ...]; 0 is the minimum and 100 the maximum.
std::string LatencyCdf(const Histogram& h) {
  std::string out = "[";
  bool first = true;
  for (const double pct : kCdfPercentiles) {
    const uint64_t ns = pct == 0 ? h.min() : pct == 100 ? h.max() : h.Quantile(pct / 100);
    fmt::format_to(std::back_inserter(out), "{}[{},{:.1f}]", first ? "" : ",", pct, Us(ns));
    first = false;
  }
  out += ']';
  return out;
}

}  // namespace

bool BuildRunConfig(const Options& o, RunConfig* c, std::string* error) {
  const std::string& s = o.scenario;
  c->scenario = s;
  c->label = o.label;
  c->server_pid = o.server_pid;
  c->resp.protocol = o.resp;
  c->resp.password = o.password;
  c->payload = o.payload;
  c->messages = o.messages;
  c->setup_timeout_s = o.setup_timeout;
  c->drain_timeout_s = o.drain_timeout;
  c->connect_concurrency = o.connect_concurrency;
  c->progress = !o.quiet;
  c->channels = o.channels.value_or(1);
  c->duration_s = o.duration.value_or(5);
  c->warmup_s = o.warmup.value_or(o.messages != 0 ? 0 : 1);

  if (o.transport == "resp") {
    c->transport = Transport::kResp;
  } else if (o.transport == "ws") {
    c->transport = Transport::kWebSocket;
  } else if (o.transport == "sse") {
    c->transport = Transport::kSse;
  } else {
    *error = fmt::format("--transport must be resp, ws or sse, not '{}'", o.transport);
    return false;
  }
  if (o.mode == "channel") {
    c->mode = SubscribeMode::kChannel;
  } else if (o.mode == "pattern") {
    c->mode = SubscribeMode::kPattern;
  } else if (o.mode == "shard") {
    c->mode = SubscribeMode::kShard;
  } else {
    *error = fmt::format("--mode must be channel, pattern or shard, not '{}'", o.mode);
    return false;
  }
  if (c->transport != Transport::kResp && c->mode == SubscribeMode::kShard) {
    *error = "--mode shard needs --transport resp (the gateway has no shard channels)";
    return false;
  }
  const TlsOptions& tls = o.tls;
  if (!tls.enabled && (!tls.cacert.empty() || !tls.cert.empty() || !tls.key.empty() ||
                       !tls.sni.empty() || tls.insecure)) {
    *error = "--cacert, --cert, --key, --sni and --insecure need --tls";
    return false;
  }
  if (tls.enabled && c->transport != Transport::kResp) {
    *error = "--tls applies to RESP connections (--transport resp) only";
    return false;
  }
  if (tls.enabled) {
    c->resp.tls = TlsClientContext::Create(tls, error);
    if (c->resp.tls == nullptr) return false;
  }
  if (c->transport == Transport::kResp && !o.gateway_ports.empty()) {
    *error = "--gateway-port applies to --transport ws or sse";
    return false;
  }

  if (s == "publish") {
    c->pacing = Pacing::kPipeline;
    c->publishers = o.publishers.value_or(4);
    c->subscribers = o.subscribers.value_or(0);
    c->pipeline = o.pipeline.value_or(32);
    if (o.rate || o.window) {
      *error = "publish is paced by --pipeline; use fanout or latency for --window / --rate";
      return false;
    }
  } else if (s == "fanout") {
    if (o.pipeline) {
      *error = "fanout is paced by --window or --rate, not --pipeline";
      return false;
    }
    c->publishers = o.publishers.value_or(1);
    c->subscribers = o.subscribers.value_or(1000);
    if (o.rate) {
      c->pacing = Pacing::kRate;
      c->rate = *o.rate;
      if (o.window) {
        *error = "--rate and --window exclude each other";
        return false;
      }
    } else {
      c->pacing = Pacing::kWindow;
      c->window = o.window.value_or(16);
    }
  } else if (s == "latency") {
    c->pacing = Pacing::kRate;
    c->publishers = o.publishers.value_or(1);
    c->subscribers = o.subscribers.value_or(1);
    c->rate = o.rate.value_or(10000);
    if (o.window || o.pipeline) {
      *error = "latency is paced by --rate";
      return false;
    }
  } else if (s == "connections") {
    // One message per channel after the RSS reading proves every connection is still alive.
    c->pacing = Pacing::kWindow;
    c->window = 1;
    c->publishers = 1;
    c->subscribers = o.subscribers.value_or(1000);
    c->settle_s = o.settle.value_or(30);
    c->settle_min_s = std::min(o.settle_min.value_or(3.0), c->settle_s);
    c->messages = c->channels;
    c->warmup_s = 0;
    c->duration_s = o.duration.value_or(30);
    if (o.rate || o.window || o.pipeline || o.publishers || o.messages) {
      *error =
          "connections takes --connections, --channels, --settle, --settle-min, not traffic "
          "options";
      return false;
    }
  } else if (s.empty()) {
    *error = "no scenario given";
    return false;
  } else {
    *error = fmt::format("unknown scenario '{}'", s);
    return false;
  }

  if (c->publishers < 1 || c->publishers > kMaxPublishers) {
    *error = fmt::format("--publishers must be in [1, {}]", kMaxPublishers);
    return false;
  }
  if (c->channels < 1 || (c->subscribers > 0 && c->channels > c->subscribers)) {
    *error = "--channels must be at least 1 and at most the number of subscribers";
    return false;
  }
  if (c->subscribers == 0 && c->pacing == Pacing::kWindow) {
    *error = "a window needs subscribers to complete messages";
    return false;
  }
  if (c->payload < kHeaderSize || c->payload > (512u << 20)) {
    *error = fmt::format("--payload must be in [{}, 512m]", kHeaderSize);
    return false;
  }
  if (c->pipeline < 1 || c->window < 1 || c->connect_concurrency < 1) {
    *error = "--pipeline, --window and --connect-concurrency must be at least 1";
    return false;
  }
  if (c->pacing == Pacing::kRate && !(c->rate > 0 && c->rate <= 1e8)) {
    *error = "--rate must be in (0, 1e8]";
    return false;
  }
  if (!(c->duration_s > 0) || c->warmup_s < 0 || c->settle_s < 0 || !(c->setup_timeout_s > 0) ||
      !(c->drain_timeout_s > 0)) {
    *error = "durations must be positive (warmup and settle may be 0)";
    return false;
  }
  if (!Resolve(o.host, o.port, &c->address, error)) return false;

  // Where subscribers go: RESP to --sub-port (else --port), the gateway transports to
  // --gateway-port; on --sub-host, else --host.
  c->chain = o.sub_host.has_value() || !o.sub_ports.empty();
  if (c->transport == Transport::kResp) {
    c->sub_ports = o.sub_ports.empty() ? std::vector<int>{o.port} : o.sub_ports;
  } else {
    c->sub_ports = o.gateway_ports.empty() ? std::vector<int>{8080} : o.gateway_ports;
  }
  // One host for every port, or one per port (a tree whose nodes have addresses of their own).
  std::vector<std::string> sub_hosts;
  const std::string host_list = o.sub_host.value_or(o.host);
  std::string_view hosts = host_list;
  for (size_t comma; (comma = hosts.find(',')) != std::string_view::npos;) {
    sub_hosts.emplace_back(hosts.substr(0, comma));
    hosts.remove_prefix(comma + 1);
  }
  sub_hosts.emplace_back(hosts);
  if (sub_hosts.size() != 1 && sub_hosts.size() != c->sub_ports.size()) {
    *error = "--sub-host: one host, or one for each subscriber port";
    return false;
  }
  for (size_t i = 0; i < c->sub_ports.size(); ++i) {
    const std::string& host = sub_hosts[sub_hosts.size() == 1 ? 0 : i];
    c->sub_addresses.emplace_back();
    if (!Resolve(host, c->sub_ports[i], &c->sub_addresses.back(), error)) return false;
    c->sub_authorities.push_back(Authority(host, c->sub_ports[i]));
  }
  if (!o.gateway_token.empty()) {
    c->gateway_headers = fmt::format("Authorization: Bearer {}\r\n", o.gateway_token);
  }
  return true;
}

int ExitStatus(const RunResult& r) {
  switch (r.status) {
    case RunStatus::kOk:
      return 0;
    case RunStatus::kConnectionFailure:
      return 2;
    case RunStatus::kIntegrityFailure:
      return 3;
    case RunStatus::kTimeout:
      return 4;
  }
  return 2;
}

std::string FormatResult(const Options& o, const RunConfig& c, const RunResult& r) {
  JsonLine j;
  j.Str("scenario", c.scenario).Str("label", c.label).Bool("ok", r.status == RunStatus::kOk);
  j.Int("exit", ExitStatus(r)).Str("error", r.error);

  j.Begin("params");
  j.Str("host", o.host)
      .Int("port", o.port)
      .Int("resp", c.resp.protocol)
      .Bool("tls", o.tls.enabled)
      .Str("transport", o.transport);
  if (c.chain) {
    j.Str("sub_host", o.sub_host.value_or(o.host));
    j.Raw("sub_ports", PortList(o.sub_ports.empty() ? std::vector<int>{o.port} : o.sub_ports));
  }
  if (c.transport != Transport::kResp) {
    j.Str("gateway_host", o.sub_host.value_or(o.host)).Raw("gateway_ports", PortList(c.sub_ports));
  }
  j.Str("mode", o.mode).Uint("publishers", c.publishers).Uint("subscribers", c.subscribers);
  j.Uint("channels", c.channels).Uint("payload", c.payload).Str("pacing", PacingName(c.pacing));
  if (c.pacing == Pacing::kPipeline) j.Uint("pipeline", c.pipeline);
  if (c.pacing == Pacing::kWindow) j.Uint("window", c.window);
  if (c.pacing == Pacing::kRate) j.Num("rate", c.rate, 1);
  j.Num("warmup_s", c.warmup_s, 3).Num("duration_s", c.duration_s, 3).Uint("messages", c.messages);
  if (c.settle_s > 0) j.Num("settle_max_s", c.settle_s, 3).Num("settle_min_s", c.settle_min_s, 3);
  if (c.server_pid > 0) j.Int("server_pid", c.server_pid);
  j.End();

  j.Begin("metrics");
  j.Num("setup_s", r.setup_s, 3);
  if (o.tls.enabled) j.Str("tls", r.tls);
  if (c.chain) j.Num("probe_s", r.probe_s, 3);
  // Totals over the whole run: the integrity figures.
  j.Uint("sent", r.sent)
      .Uint("replies", r.replies)
      .Uint("expected_deliveries", r.expected_deliveries);
  j.Uint("received", r.deliveries).Uint("lost", r.lost).Uint("duplicated", r.duplicated);
  j.Uint("reordered", r.reordered).Uint("misrouted", r.misrouted).Uint("corrupt", r.corrupt);
  j.Uint("reply_mismatch", r.reply_mismatch);

  if (c.scenario == "connections") {
    j.Uint("connections", c.subscribers);
    j.Num("settle_s", r.settle_used_s, 1);
    if (r.baseline.ok && r.settled.ok) {
      j.Uint("server_rss_baseline_kb", r.baseline.rss_kb)
          .Uint("server_rss_settled_kb", r.settled.rss_kb);
      const double delta =
          (static_cast<double>(r.settled.rss_kb) - static_cast<double>(r.baseline.rss_kb)) * 1024.0;
      j.Num("bytes_per_connection", c.subscribers > 0 ? delta / c.subscribers : 0, 1);
    }
  }

  if (r.measured) {
    const double secs = static_cast<double>(r.end.taken_ns - r.begin.taken_ns) / 1e9;
    const uint64_t published = r.end.sent - r.begin.sent;
    const uint64_t replies = r.end.replies - r.begin.replies;
    const uint64_t deliveries = r.end.deliveries - r.begin.deliveries;
    j.Num("window_s", secs, 3);
    j.Uint("window_published", published).Uint("window_replies", replies);
    j.Uint("window_deliveries", deliveries);
    j.Num("publish_ops_per_s", static_cast<double>(replies) / secs, 0);
    j.Num("deliveries_per_s", static_cast<double>(deliveries) / secs, 0);

    const Histogram& h = r.latency;
    j.Uint("latency_samples", h.count());
    if (h.count() > 0) {
      j.Num("latency_min_us", Us(h.min()), 1).Num("latency_mean_us", h.mean() / 1e3, 1);
      j.Num("latency_p50_us", Us(h.Quantile(0.5)), 1).Num("latency_p90_us", Us(h.Quantile(0.9)), 1);
      j.Num("latency_p99_us", Us(h.Quantile(0.99)), 1);
      j.Num("latency_p999_us", Us(h.Quantile(0.999)), 1).Num("latency_max_us", Us(h.max()), 1);
      if (c.scenario == "latency") j.Raw("latency_cdf", LatencyCdf(h));
    }
    if (!r.latency_by_sub.empty() && h.count() > 0) {
      // Keyed by the port each group of subscribers connected to (one per replica in a chain).
      j.Begin("latency_by_port");
      for (size_t i = 0; i < r.latency_by_sub.size(); ++i) {
        const Histogram& p = r.latency_by_sub[i];
        j.Begin(std::to_string(c.sub_ports[i])).Uint("samples", p.count());
        if (p.count() > 0) {
          j.Num("p50_us", Us(p.Quantile(0.5)), 1).Num("p90_us", Us(p.Quantile(0.9)), 1);
          j.Num("p99_us", Us(p.Quantile(0.99)), 1).Num("p999_us", Us(p.Quantile(0.999)), 1);
          j.Num("max_us", Us(p.max()), 1);
        }
        j.End();
      }
      j.End();
    }
    if (c.pacing == Pacing::kRate && r.send_lag.count() > 0) {
      j.Num("send_lag_p99_us", Us(r.send_lag.Quantile(0.99)), 1);
      j.Num("send_lag_max_us", Us(r.send_lag.max()), 1);
    }

    const double client_cpu =
        static_cast<double>(r.end.client_cpu_ns - r.begin.client_cpu_ns) / 1e9;
    j.Num("client_cpu_s", client_cpu, 3).Num("client_cpu_util", client_cpu / secs, 3);

    const ProcSample& a = r.begin.server;
    const ProcSample& b = r.end.server;
    if (a.ok && b.ok) {
      const double cpu_ns = static_cast<double>(b.cpu_ns - a.cpu_ns);
      j.Num("server_cpu_s", cpu_ns / 1e9, 3).Num("server_cpu_util", cpu_ns / 1e9 / secs, 3);
      if (deliveries > 0)
        j.Num("server_cpu_ns_per_delivery", cpu_ns / static_cast<double>(deliveries), 1);
      if (replies > 0) j.Num("server_cpu_ns_per_publish", cpu_ns / static_cast<double>(replies), 1);
      if (a.has_io && b.has_io) {
        const uint64_t writes = b.syscw - a.syscw;
        const uint64_t reads = b.syscr - a.syscr;
        j.Uint("server_writes", writes).Uint("server_reads", reads);
        if (deliveries > 0) {
          j.Num("server_writes_per_delivery",
                static_cast<double>(writes) / static_cast<double>(deliveries), 4);
          if (writes > 0)
            j.Num("deliveries_per_server_write",
                  static_cast<double>(deliveries) / static_cast<double>(writes), 2);
        }
        if (replies > 0) {
          j.Num("server_writes_per_publish",
                static_cast<double>(writes) / static_cast<double>(replies), 4);
        }
      }
      j.Uint("server_rss_kb", b.rss_kb);
    }
  }
  j.End();
  return j.Take();
}

}  // namespace herald::bench
