// herald-benchmark: pub/sub load generator and checker for Redis-compatible servers.
// See bench/README.md for the scenarios and the meaning of every output field.

#include <sys/resource.h>

#include <cstdio>
#include <string>

#include "bench/options.h"
#include "bench/pubsub_run.h"
#include "bench/scenario.h"
#include "fmt/format.h"

namespace {

// 10,000 subscribers need more descriptors than the usual soft limit of 1024; take what the
// hard limit allows, as redis-server does, and say so early if even that is not enough.
bool RaiseFileLimit(uint64_t needed) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return true;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed) {
    fmt::print(stderr,
               "herald-benchmark: {} connections need about {} file descriptors, but the limit is "
               "{} (raise it with ulimit -n)\n",
               needed - 32, needed, static_cast<uint64_t>(lim.rlim_cur));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using herald::bench::Options;
  Options options;
  std::string error;
  if (!herald::bench::ParseOptions(argc, argv, &options, &error)) {
    fmt::print(stderr, "herald-benchmark: {} (see --help)\n", error);
    return 1;
  }
  if (options.help) {
    fmt::print("{}", herald::bench::UsageText());
    return 0;
  }
  herald::bench::RunConfig config;
  if (!herald::bench::BuildRunConfig(options, &config, &error)) {
    fmt::print(stderr, "herald-benchmark: {} (see --help)\n", error);
    return 1;
  }
  if (!RaiseFileLimit(uint64_t{config.subscribers} + config.publishers + 32)) return 1;

  const herald::bench::RunResult result = herald::bench::RunPubSub(config);
  if (!result.error.empty()) fmt::print(stderr, "herald-benchmark: {}\n", result.error);
  fmt::print("{}\n", herald::bench::FormatResult(options, config, result));
  std::fflush(stdout);
  return herald::bench::ExitStatus(result);
}
