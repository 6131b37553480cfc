#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/tls_client.h"

namespace herald::bench {

// The command line, as given. Unset optionals take the scenario's default (scenario.cc).
struct Options {
  std::string scenario;  // publish | fanout | latency | connections
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string label = "server";
  int server_pid = 0;
  int resp = 2;
  std::string password;
  TlsOptions tls;                  // --tls, --cacert, --cert, --key, --sni, --insecure
  std::string gateway_token;       // ws/sse: sent as "Authorization: Bearer" (a browser token)
  std::string transport = "resp";  // resp | ws | sse (subscribers; publishers speak RESP)
  // Subscribers elsewhere (a replication chain): --sub-host, --sub-port P[,P2,...].
  std::optional<std::string> sub_host;
  std::vector<int> sub_ports;
  std::vector<int> gateway_ports;  // --gateway-port P[,P2,...]; empty: 8080
  std::string mode = "channel";    // channel | pattern | shard
  std::optional<uint32_t> publishers;
  std::optional<uint32_t> subscribers;  // --subscribers, or --connections for `connections`
  std::optional<uint32_t> channels;
  std::optional<uint32_t> pipeline;
  std::optional<uint32_t> window;
  std::optional<double> rate;
  size_t payload = 128;
  std::optional<double> duration;
  std::optional<double> warmup;
  uint64_t messages = 0;
  std::optional<double> settle;
  std::optional<double> settle_min;
  double setup_timeout = 60;
  double drain_timeout = 10;
  uint32_t connect_concurrency = 256;
  bool quiet = false;
  bool help = false;
};

// Parses argv (argv[1] is the scenario). Returns false with *error set on a malformed command
// line; range checks that depend on the scenario are done by BuildRunConfig().
bool ParseOptions(int argc, char** argv, Options* options, std::string* error);

// The --help text.
const char* UsageText();

}  // namespace herald::bench
