#include "bench/options.h"

#include <charconv>
#include <cstring>
#include <string_view>

#include "fmt/format.h"

namespace herald::bench {
namespace {

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

// A size with an optional k/m suffix (powers of 1024), e.g. 128, 4k, 1m.
bool ParseSize(std::string_view text, size_t* out) {
  size_t mult = 1;
  if (!text.empty() && (text.back() == 'k' || text.back() == 'K')) mult = 1024;
  if (!text.empty() && (text.back() == 'm' || text.back() == 'M')) mult = 1024 * 1024;
  if (mult != 1) text.remove_suffix(1);
  uint64_t v;
  if (!ParseNumber(text, &v)) return false;
  *out = static_cast<size_t>(v * mult);
  return true;
}

// A comma-separated list of distinct ports, e.g. 23101,23102.
bool ParsePorts(std::string_view text, std::vector<int>* out) {
  out->clear();
  while (true) {
    const size_t comma = text.find(',');
    int port = 0;
    if (!ParseNumber(text.substr(0, comma), &port) || port <= 0 || port >= 65536) return false;
    for (const int p : *out) {
      if (p == port) return false;
    }
    out->push_back(port);
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

const char* UsageText() {
  return R"(usage: herald-benchmark <scenario> [options]

Scenarios:
  publish      K publishers, pipeline depth D, 0 or S subscribers: publish ops/s
  fanout       S subscribers on C channels (or patterns); publishers keep W messages in flight
               (or send at --rate): deliveries/s, checked for loss, duplicates and reordering
  latency      open-loop publisher at --rate R, S subscribers: publish-to-receive percentiles
  connections  N idle subscribers; server RSS per connection once it has settled

Target:
  --host H              server address (default 127.0.0.1)
  --port P              server port (default 6379)
  --label NAME          server label copied into the result line (default "server")
  --server-pid PID      read the server's CPU time, write syscalls and RSS from /proc/PID
  --resp 2|3            protocol; 3 sends HELLO 3 on every connection (default 2)
  --password PW         send AUTH PW first
  --tls                 TLS on every RESP connection (the server's tls-port); each connection
                        does a full handshake before its first command
  --cacert FILE         CA certificate(s) that verify the server (default: the system's)
  --cert FILE           client certificate, for a server with tls-auth-clients yes
  --key FILE            the private key of --cert
  --sni NAME            server name to send in the TLS handshake (default: none)
  --insecure            do not verify the server's certificate
  --gateway-token T     ws/sse: send "Authorization: Bearer T" (a browser token, or the
                        gateway's publish token) with each subscriber's request
  --transport T         subscriber transport: resp | ws (WebSocket on the HTTP gateway) |
                        sse (Server-Sent Events on the gateway); publishers always use RESP
                        on --host/--port (default resp)
  --gateway-port P[,P2,...]  ws/sse: gateway port(s); subscriber i uses port i % n
                        (default 8080; host: --sub-host, else --host)
  --sub-host H[,H2,...] subscribers connect to H instead of --host (replication chain); a list
                        gives each --sub-port its own host (subscriber i to host i % n)
  --sub-port P[,P2,...] resp: subscribers connect to these ports (subscriber i to port i % n)
                        while publishers use --port; with ws/sse it only marks the gateway(s)
                        as another node's. Either flag makes the run a chain: setup publishes
                        probes until one reached every sub port, and PUBLISH replies are not
                        checked against the subscriber count

Traffic:
  --publishers K        publisher connections (publish: 4, others: 1)
  --subscribers S       subscriber connections (publish: 0, fanout: 1000, latency: 1)
  --connections N       alias of --subscribers (connections: 1000)
  --channels C          subscriber i listens on channel i % C; message n goes to n % C (1)
  --mode M              channel | pattern (PSUBSCRIBE, one pattern per channel) |
                        shard (SSUBSCRIBE/SPUBLISH) (default channel)
  --payload B           payload bytes, >= 33; accepts k/m suffixes (default 128)
  --pipeline D          publish: unanswered PUBLISHes per publisher (default 32)
  --window W            fanout: messages per publisher not yet received by all (default 16)
  --rate R              messages/s over all publishers, open loop (latency: 10000; fanout:
                        replaces --window)

Time and bounds:
  --duration SEC        measurement window (default 5; connections: cap on the final check)
  --warmup SEC          traffic before the window opens (default 1; 0 with --messages)
  --messages N          stop after N messages in total (the window then ends at the last
                        delivery)
  --settle SEC          connections: longest wait for the server's RSS to settle (default 30):
                        it is read once it fell by < 1 % of its growth over 5 s
  --settle-min SEC      connections: shortest wait (default 3)
  --setup-timeout SEC   connecting and subscribing must finish within this (default 60)
  --drain-timeout SEC   after the last publish, wait this long for replies and deliveries
                        (default 10)
  --connect-concurrency N  subscribers connecting at once (default 256)
  --quiet               no progress on stderr

Output: one JSON object per measurement on stdout; progress on stderr.
Exit status: 0 ok, 1 usage, 2 connection failure or error reply, 3 lost/duplicated/
reordered/corrupt messages, 4 timeout.
)";
}

bool ParseOptions(int argc, char** argv, Options* o, std::string* error) {
  int i = 1;
  if (argc >= 2 && argv[1][0] != '-') {
    o->scenario = argv[1];
    i = 2;
  }
  for (; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      o->help = true;
      return true;
    }
    if (flag == "--quiet") {
      o->quiet = true;
      continue;
    }
    if (flag == "--tls") {
      o->tls.enabled = true;
      continue;
    }
    if (flag == "--insecure") {
      o->tls.insecure = true;
      continue;
    }
    if (i + 1 >= argc) {
      *error = fmt::format("{} needs a value", flag);
      return false;
    }
    const std::string_view v = argv[++i];
    bool ok = true;
    uint32_t u32 = 0;
    double d = 0;
    if (flag == "--host") {
      o->host = v;
    } else if (flag == "--port") {
      ok = ParseNumber(v, &o->port) && o->port > 0 && o->port < 65536;
    } else if (flag == "--label") {
      o->label = v;
    } else if (flag == "--server-pid") {
      ok = ParseNumber(v, &o->server_pid) && o->server_pid > 0;
    } else if (flag == "--resp") {
      ok = ParseNumber(v, &o->resp) && (o->resp == 2 || o->resp == 3);
    } else if (flag == "--password") {
      o->password = v;
    } else if (flag == "--cacert") {
      o->tls.cacert = v;
    } else if (flag == "--cert") {
      o->tls.cert = v;
    } else if (flag == "--key") {
      o->tls.key = v;
    } else if (flag == "--sni") {
      o->tls.sni = v;
    } else if (flag == "--gateway-token") {
      o->gateway_token = v;
    } else if (flag == "--transport") {
      o->transport = v;
    } else if (flag == "--sub-host") {
      o->sub_host = std::string(v);
      ok = !v.empty();
    } else if (flag == "--sub-port") {
      ok = ParsePorts(v, &o->sub_ports);
    } else if (flag == "--gateway-port") {
      ok = ParsePorts(v, &o->gateway_ports);
    } else if (flag == "--mode") {
      o->mode = v;
    } else if (flag == "--publishers") {
      ok = ParseNumber(v, &u32);
      o->publishers = u32;
    } else if (flag == "--subscribers" || flag == "--connections") {
      ok = ParseNumber(v, &u32);
      o->subscribers = u32;
    } else if (flag == "--channels") {
      ok = ParseNumber(v, &u32);
      o->channels = u32;
    } else if (flag == "--pipeline") {
      ok = ParseNumber(v, &u32);
      o->pipeline = u32;
    } else if (flag == "--window") {
      ok = ParseNumber(v, &u32);
      o->window = u32;
    } else if (flag == "--rate") {
      ok = ParseNumber(v, &d);
      o->rate = d;
    } else if (flag == "--payload") {
      ok = ParseSize(v, &o->payload);
    } else if (flag == "--duration") {
      ok = ParseNumber(v, &d);
      o->duration = d;
    } else if (flag == "--warmup") {
      ok = ParseNumber(v, &d);
      o->warmup = d;
    } else if (flag == "--messages") {
      ok = ParseNumber(v, &o->messages);
    } else if (flag == "--settle") {
      ok = ParseNumber(v, &d);
      o->settle = d;
    } else if (flag == "--settle-min") {
      ok = ParseNumber(v, &d);
      o->settle_min = d;
    } else if (flag == "--setup-timeout") {
      ok = ParseNumber(v, &o->setup_timeout);
    } else if (flag == "--drain-timeout") {
      ok = ParseNumber(v, &o->drain_timeout);
    } else if (flag == "--connect-concurrency") {
      ok = ParseNumber(v, &o->connect_concurrency);
    } else {
      *error = fmt::format("unknown option {}", flag);
      return false;
    }
    if (!ok) {
      *error = fmt::format("bad value for {}: '{}'", flag, v);
      return false;
    }
  }
  return true;
}

}  // namespace herald::bench
