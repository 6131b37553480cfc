#include "server/config.h"

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <system_error>
#include <unordered_map>
#include <variant>

#include "protocol/glob.h"
#include "server/address_rule.h"

namespace herald::server {
namespace {

// The version named in the fatal error block, so that tooling which greps Redis's message still
// recognises it.
constexpr std::string_view kRedisVersion = "7.0.15";

// Redis has no limit and overflows its stack on an include cycle; herald stops here instead.
constexpr int kMaxIncludeDepth = 16;

// Redis's CONFIG_BINDADDR_MAX.
constexpr size_t kMaxBindAddresses = 16;

constexpr int64_t kIntMin = std::numeric_limits<int32_t>::min();
constexpr uint64_t kIntMax = std::numeric_limits<int32_t>::max();
constexpr uint64_t kUintMax = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kLlongMax = std::numeric_limits<int64_t>::max();
constexpr uint64_t kUllongMax = std::numeric_limits<uint64_t>::max();

// How a directive's arguments are parsed, validated and rendered back for CONFIG GET. The first
// six are Redis's generic config types; the rest are directives Redis special-cases.
enum class Type : uint8_t {
  kBool,             // yes | no, any case
  kInt,              // strict decimal integer (Redis string2ll) within [min, max]
  kMemory,           // byte count with an optional unit (Redis memtoull) within [min, max]
  kOctal,            // octal number within [min, max], rendered in octal
  kEnum,             // one word of `choices`, any case, rendered in lower case
  kString,           // any single argument, kept verbatim
  kBind,             // up to 16 addresses; a single "" means none
  kWords,            // any number of words (channel globs, origins); a single "" means none
  kAddresses,        // like kWords, each an IP address, a CIDR block or "*" (address_rule.h)
  kOutputLimits,     // client-output-buffer-limit <class> <hard> <soft> <seconds> ...
  kSave,             // save <seconds> <changes> ...; repeated lines add up while loading
  kReplicaOf,        // replicaof <host> <port> | no one
  kMemoryOrPercent,  // maxmemory-clients: a byte count or "N%"
  kEnumFlags,        // several words of `choices` (shutdown-on-sigint)
  kOomValues,        // oom-score-adj-values: three integers in [-2000, 2000]
  kPercentiles,      // latency-tracking-info-percentiles: numbers in [0, 100]
  kKeyspaceEvents,   // notify-keyspace-events: class letters
};

// Directive flags.
constexpr uint8_t kImmutable = 1 << 0;  // CONFIG SET refuses it
constexpr uint8_t kProtected = 1 << 1;  // CONFIG SET refuses it (enable-protected-configs is inert)
constexpr uint8_t kHidden = 1 << 2;     // CONFIG GET patterns skip it; its exact name still works
constexpr uint8_t kMultiArg = 1 << 3;   // takes several arguments; CONFIG SET splits at spaces

// Whether herald acts on a directive, and if not, why: the reason goes into the startup notice.
enum class Use : uint8_t { kActive, kNoData, kNoReplication, kUnsupported };

// Where a directive herald acts on keeps its value. Directives without a field keep their
// rendered text in ConfigStore::Impl::values.
using Field = std::variant<std::monostate, bool Config::*, int Config::*, int64_t Config::*,
                           uint64_t Config::*, std::string Config::*, LogLevel Config::*,
                           std::vector<std::string> Config::*>;

// One row of the directive table. Making an accepted-and-ignored directive real, or adding a new
// one, is one row: give it a `field` (or a Type that knows its Config member) and Use::kActive.
struct Directive {
  std::string_view name;
  std::string_view alias = {};  // the other spelling Redis also answers to, "" if none
  Type type = Type::kString;
  uint8_t flags = 0;
  Use use = Use::kActive;
  int64_t min = 0;  // kInt, kMemory, kOctal bounds
  uint64_t max = 0;
  std::string_view choices = {};   // kEnum, kEnumFlags: the accepted words, space separated
  std::string_view fallback = {};  // the default of a directive without a field, as rendered
  Field field = {};
};

// Rows for directives herald accepts, stores and ignores; `fallback` is Redis's default as
// CONFIG GET renders it.
constexpr Directive IgnoredBool(Use use, std::string_view name, std::string_view fallback,
                                uint8_t flags = 0, std::string_view alias = {}) {
  return {.name = name,
          .alias = alias,
          .type = Type::kBool,
          .flags = flags,
          .use = use,
          .fallback = fallback};
}
constexpr Directive IgnoredInt(Use use, std::string_view name, std::string_view fallback,
                               int64_t min, uint64_t max, uint8_t flags = 0,
                               std::string_view alias = {}) {
  return {.name = name,
          .alias = alias,
          .type = Type::kInt,
          .flags = flags,
          .use = use,
          .min = min,
          .max = max,
          .fallback = fallback};
}
constexpr Directive IgnoredMemory(Use use, std::string_view name, std::string_view fallback,
                                  int64_t min, uint64_t max, uint8_t flags = 0,
                                  std::string_view alias = {}) {
  return {.name = name,
          .alias = alias,
          .type = Type::kMemory,
          .flags = flags,
          .use = use,
          .min = min,
          .max = max,
          .fallback = fallback};
}
constexpr Directive IgnoredString(Use use, std::string_view name, std::string_view fallback,
                                  uint8_t flags = 0, std::string_view alias = {}) {
  return {.name = name,
          .alias = alias,
          .type = Type::kString,
          .flags = flags,
          .use = use,
          .fallback = fallback};
}
constexpr Directive IgnoredEnum(Use use, std::string_view name, std::string_view fallback,
                                std::string_view choices, uint8_t flags = 0) {
  return {.name = name,
          .type = Type::kEnum,
          .flags = flags,
          .use = use,
          .choices = choices,
          .fallback = fallback};
}
constexpr Directive IgnoredSpecial(Use use, std::string_view name, Type type,
                                   std::string_view fallback, std::string_view choices,
                                   uint8_t flags = 0, std::string_view alias = {}) {
  return {.name = name,
          .alias = alias,
          .type = type,
          .flags = flags,
          .use = use,
          .choices = choices,
          .fallback = fallback};
}

using enum Use;

// Every directive Redis 7.0.15 accepts; CONFIG GET lists them in this order. Names, aliases,
// types, bounds, flags and defaults were read off a running redis-server 7.0.15 (CONFIG GET *,
// CONFIG SET probes and its fatal config errors), not copied from its source.
constexpr Directive kDirectives[] = {
    // Directives herald acts on.
    {.name = "bind", .type = Type::kBind, .flags = kMultiArg, .field = &Config::bind},
    {.name = "port", .type = Type::kInt, .min = 0, .max = 65535, .field = &Config::port},
    {.name = "unixsocket", .flags = kImmutable, .field = &Config::unixsocket},
    {.name = "unixsocketperm",
     .type = Type::kOctal,
     .flags = kImmutable,
     .min = 0,
     .max = 0777,
     .field = &Config::unixsocketperm},
    {.name = "requirepass", .field = &Config::requirepass},
    {.name = "protected-mode", .type = Type::kBool, .field = &Config::protected_mode},
    {.name = "maxclients",
     .type = Type::kInt,
     .min = 1,
     .max = kUintMax,
     .field = &Config::maxclients},
    {.name = "timeout", .type = Type::kInt, .min = 0, .max = kIntMax, .field = &Config::timeout},
    {.name = "tcp-keepalive",
     .type = Type::kInt,
     .min = 0,
     .max = kIntMax,
     .field = &Config::tcp_keepalive},
    {.name = "tcp-backlog",
     .type = Type::kInt,
     .flags = kImmutable,
     .min = 0,
     .max = kIntMax,
     .field = &Config::tcp_backlog},
    // Lives in Config::output_limits; Type::kOutputLimits knows the member.
    {.name = "client-output-buffer-limit", .type = Type::kOutputLimits, .flags = kMultiArg},
    {.name = "client-query-buffer-limit",
     .type = Type::kMemory,
     .min = 1 << 20,
     .max = kLlongMax,
     .field = &Config::client_query_buffer_limit},
    {.name = "proto-max-bulk-len",
     .type = Type::kMemory,
     .min = 1 << 20,
     .max = kLlongMax,
     .field = &Config::proto_max_bulk_len},
    // Redis 7.0's four levels (7.2 added "nothing"), so errors list the same choices.
    {.name = "loglevel",
     .type = Type::kEnum,
     .choices = "debug verbose notice warning",
     .field = &Config::loglevel},
    {.name = "logfile", .flags = kImmutable, .field = &Config::logfile},
    {.name = "pidfile", .flags = kImmutable, .field = &Config::pidfile},
    {.name = "daemonize", .type = Type::kBool, .flags = kImmutable, .field = &Config::daemonize},
    {.name = "databases",
     .type = Type::kInt,
     .flags = kImmutable,
     .min = 1,
     .max = kIntMax,
     .field = &Config::databases},

    // HTTP gateway directives (WebSocket / SSE) go here.
    {.name = "gateway-port",
     .type = Type::kInt,
     .flags = kImmutable,
     .min = 0,
     .max = 65535,
     .field = &Config::gateway_port},
    {.name = "gateway-bind",
     .type = Type::kBind,
     .flags = kMultiArg | kImmutable,
     .field = &Config::gateway_bind},
    {.name = "gateway-max-header-bytes",
     .type = Type::kMemory,
     .min = 1024,
     .max = 1 << 30,
     .field = &Config::gateway_max_header_bytes},
    {.name = "gateway-max-body-bytes",
     .type = Type::kMemory,
     .min = 0,
     .max = 512ull << 20,
     .field = &Config::gateway_max_body_bytes},
    {.name = "gateway-header-timeout",
     .type = Type::kInt,
     .min = 0,
     .max = kIntMax,
     .field = &Config::gateway_header_timeout},
    {.name = "gateway-keepalive-timeout",
     .type = Type::kInt,
     .min = 0,
     .max = kIntMax,
     .field = &Config::gateway_keepalive_timeout},
    {.name = "gateway-ws-max-message",
     .type = Type::kMemory,
     .min = 125,
     .max = 512ull << 20,
     .field = &Config::gateway_ws_max_message},
    {.name = "gateway-sse-heartbeat",
     .type = Type::kInt,
     .min = 0,
     .max = 86400,
     .field = &Config::gateway_sse_heartbeat},
    {.name = "gateway-cors-origins",
     .type = Type::kWords,
     .flags = kMultiArg,
     .field = &Config::gateway_cors_origins},
    {.name = "gateway-publish-token", .field = &Config::gateway_publish_token},
    {.name = "gateway-publish-from",
     .type = Type::kAddresses,
     .flags = kMultiArg,
     .field = &Config::gateway_publish_from},
    {.name = "gateway-publish-channels",
     .type = Type::kWords,
     .flags = kMultiArg,
     .field = &Config::gateway_publish_channels},
    {.name = "gateway-history-size",
     .type = Type::kInt,
     .min = 0,
     .max = 1000000,
     .field = &Config::gateway_history_size},
    {.name = "gateway-history-bytes",
     .type = Type::kMemory,
     .min = 0,
     .max = 1ull << 32,
     .field = &Config::gateway_history_bytes},
    {.name = "gateway-history-age",
     .type = Type::kInt,
     .min = 0,
     .max = kIntMax,
     .field = &Config::gateway_history_age},

    // Replication (server/replication.cc). replicaof lives in Config::master_host/master_port;
    // Type::kReplicaOf knows those members.
    {.name = "masterauth", .field = &Config::masterauth},
    {.name = "masteruser", .field = &Config::masteruser},
    // Active as far as Redis lets them act on pub/sub: INFO's min_slaves_good_slaves. Redis's
    // -NOREPLICAS refusal is for write commands, which PUBLISH is not.
    IgnoredInt(kActive, "min-replicas-max-lag", "10", 0, kIntMax, 0, "min-slaves-max-lag"),
    IgnoredInt(kActive, "min-replicas-to-write", "0", 0, kIntMax, 0, "min-slaves-to-write"),
    IgnoredEnum(kNoReplication, "propagation-error-behavior", "ignore",
                "ignore panic panic-on-replicas"),
    // CONFIG SET raises values below 16kb to 16kb (Redis's minimum backlog); a file keeps them.
    {.name = "repl-backlog-size",
     .type = Type::kMemory,
     .min = 1,
     .max = kLlongMax,
     .field = &Config::repl_backlog_size},
    {.name = "repl-backlog-ttl",
     .type = Type::kInt,
     .min = 0,
     .max = kLlongMax,
     .field = &Config::repl_backlog_ttl},
    IgnoredBool(kNoReplication, "repl-disable-tcp-nodelay", "no"),
    IgnoredEnum(kNoReplication, "repl-diskless-load", "disabled", "disabled on-empty-db swapdb"),
    IgnoredBool(kNoReplication, "repl-diskless-sync", "yes"),
    IgnoredInt(kNoReplication, "repl-diskless-sync-delay", "5", 0, kIntMax),
    IgnoredInt(kNoReplication, "repl-diskless-sync-max-replicas", "0", 0, kIntMax),
    {.name = "repl-ping-replica-period",
     .alias = "repl-ping-slave-period",
     .type = Type::kInt,
     .min = 1,
     .max = kIntMax,
     .field = &Config::repl_ping_replica_period},
    {.name = "repl-timeout",
     .type = Type::kInt,
     .min = 1,
     .max = kIntMax,
     .field = &Config::repl_timeout},
    {.name = "replica-announce-ip",
     .alias = "slave-announce-ip",
     .field = &Config::replica_announce_ip},
    {.name = "replica-announce-port",
     .alias = "slave-announce-port",
     .type = Type::kInt,
     .min = 0,
     .max = 65535,
     .field = &Config::replica_announce_port},
    IgnoredBool(kNoReplication, "replica-announced", "yes"),
    IgnoredBool(kNoReplication, "replica-ignore-disk-write-errors", "no"),
    IgnoredBool(kNoReplication, "replica-ignore-maxmemory", "yes", 0, "slave-ignore-maxmemory"),
    IgnoredBool(kNoReplication, "replica-lazy-flush", "no", 0, "slave-lazy-flush"),
    IgnoredInt(kNoReplication, "replica-priority", "100", 0, kIntMax, 0, "slave-priority"),
    IgnoredBool(kNoReplication, "replica-read-only", "yes", 0, "slave-read-only"),
    IgnoredBool(kNoReplication, "replica-serve-stale-data", "yes", 0, "slave-serve-stale-data"),
    {.name = "replicaof",
     .alias = "slaveof",
     .type = Type::kReplicaOf,
     .flags = kImmutable | kMultiArg},

    // Data-store directives: accepted, stored and ignored, since herald keeps no data.
    IgnoredInt(kNoData, "active-defrag-cycle-max", "25", 1, 99),
    IgnoredInt(kNoData, "active-defrag-cycle-min", "1", 1, 99),
    IgnoredMemory(kNoData, "active-defrag-ignore-bytes", "104857600", 1, kLlongMax),
    IgnoredInt(kNoData, "active-defrag-max-scan-fields", "1000", 1, kLlongMax),
    IgnoredInt(kNoData, "active-defrag-threshold-lower", "10", 0, 1000),
    IgnoredInt(kNoData, "active-defrag-threshold-upper", "100", 0, 1000),
    IgnoredInt(kNoData, "active-expire-effort", "1", 1, 10),
    IgnoredBool(kNoData, "activedefrag", "no"),
    IgnoredBool(kNoData, "activerehashing", "yes"),
    IgnoredBool(kNoData, "aof-disable-auto-gc", "no"),
    IgnoredBool(kNoData, "aof-load-truncated", "yes"),
    IgnoredBool(kNoData, "aof-rewrite-incremental-fsync", "yes"),
    IgnoredBool(kNoData, "aof-timestamp-enabled", "no"),
    IgnoredBool(kNoData, "aof-use-rdb-preamble", "yes"),
    IgnoredString(kNoData, "appenddirname", "appendonlydir", kImmutable),
    IgnoredString(kNoData, "appendfilename", "appendonly.aof", kImmutable),
    IgnoredEnum(kNoData, "appendfsync", "everysec", "everysec always no"),
    IgnoredBool(kNoData, "appendonly", "no"),
    IgnoredMemory(kNoData, "auto-aof-rewrite-min-size", "67108864", 0, kLlongMax),
    IgnoredInt(kNoData, "auto-aof-rewrite-percentage", "100", 0, kIntMax),
    IgnoredInt(kNoData, "busy-reply-threshold", "5000", 0, kLlongMax, 0, "lua-time-limit"),
    IgnoredString(kNoData, "dbfilename", "dump.rdb", kProtected),
    IgnoredString(kNoData, "dir", "", kProtected),
    IgnoredBool(kNoData, "dynamic-hz", "yes"),
    IgnoredInt(kNoData, "hash-max-listpack-entries", "512", 0, kLlongMax, 0,
               "hash-max-ziplist-entries"),
    IgnoredMemory(kNoData, "hash-max-listpack-value", "64", 0, kLlongMax, 0,
                  "hash-max-ziplist-value"),
    IgnoredMemory(kNoData, "hll-sparse-max-bytes", "3000", 0, kLlongMax),
    IgnoredInt(kNoData, "hz", "10", 0, kIntMax),
    IgnoredInt(kNoData, "key-load-delay", "0", kIntMin, kIntMax, kHidden),
    IgnoredBool(kNoData, "lazyfree-lazy-eviction", "no"),
    IgnoredBool(kNoData, "lazyfree-lazy-expire", "no"),
    IgnoredBool(kNoData, "lazyfree-lazy-server-del", "no"),
    IgnoredBool(kNoData, "lazyfree-lazy-user-del", "no"),
    IgnoredBool(kNoData, "lazyfree-lazy-user-flush", "no"),
    IgnoredInt(kNoData, "lfu-decay-time", "1", 0, kIntMax),
    IgnoredInt(kNoData, "lfu-log-factor", "10", 0, kIntMax),
    IgnoredInt(kNoData, "list-compress-depth", "0", 0, kIntMax),
    IgnoredInt(kNoData, "list-max-listpack-size", "-2", kIntMin, kIntMax, 0,
               "list-max-ziplist-size"),
    IgnoredInt(kNoData, "loading-process-events-interval-bytes", "2097152", 1024, kIntMax, kHidden),
    IgnoredBool(kNoData, "lua-enable-deprecated-api", "no", kImmutable | kHidden),
    IgnoredMemory(kNoData, "maxmemory", "0", 0, kUllongMax),
    IgnoredSpecial(kNoData, "maxmemory-clients", Type::kMemoryOrPercent, "0", {}),
    IgnoredInt(kNoData, "maxmemory-eviction-tenacity", "10", 0, 100),
    IgnoredEnum(kNoData, "maxmemory-policy", "noeviction",
                "volatile-lru volatile-lfu volatile-random volatile-ttl allkeys-lru allkeys-lfu "
                "allkeys-random noeviction"),
    IgnoredInt(kNoData, "maxmemory-samples", "5", 1, kIntMax),
    IgnoredBool(kNoData, "no-appendfsync-on-rewrite", "no"),
    IgnoredSpecial(kNoData, "notify-keyspace-events", Type::kKeyspaceEvents, "", {}),
    IgnoredBool(kNoData, "rdb-del-sync-files", "no"),
    IgnoredInt(kNoData, "rdb-key-save-delay", "0", kIntMin, kIntMax, kHidden),
    IgnoredBool(kNoData, "rdb-save-incremental-fsync", "yes"),
    IgnoredBool(kNoData, "rdbchecksum", "yes", kImmutable),
    IgnoredBool(kNoData, "rdbcompression", "yes"),
    IgnoredSpecial(kNoData, "save", Type::kSave, "3600 1 300 100 60 10000", {}, kMultiArg),
    IgnoredInt(kNoData, "set-max-intset-entries", "512", 0, kLlongMax),
    IgnoredBool(kNoData, "stop-writes-on-bgsave-error", "yes"),
    IgnoredMemory(kNoData, "stream-node-max-bytes", "4096", 0, kLlongMax),
    IgnoredInt(kNoData, "stream-node-max-entries", "100", 0, kLlongMax),
    IgnoredInt(kNoData, "tracking-table-max-keys", "1000000", 0, kLlongMax),
    IgnoredInt(kNoData, "zset-max-listpack-entries", "128", 0, kLlongMax, 0,
               "zset-max-ziplist-entries"),
    IgnoredMemory(kNoData, "zset-max-listpack-value", "64", 0, kLlongMax, 0,
                  "zset-max-ziplist-value"),

    // Directives for Redis features herald does not have (TLS, cluster, ACL, syslog, threads,
    // process tuning, latency tooling): accepted, stored and ignored.
    IgnoredEnum(kUnsupported, "acl-pubsub-default", "resetchannels", "allchannels resetchannels"),
    IgnoredString(kUnsupported, "aclfile", "", kImmutable),
    IgnoredInt(kUnsupported, "acllog-max-len", "128", 0, kLlongMax),
    IgnoredBool(kUnsupported, "always-show-logo", "no", kImmutable),
    IgnoredString(kUnsupported, "aof_rewrite_cpulist", "", kImmutable),
    IgnoredString(kUnsupported, "bgsave_cpulist", "", kImmutable),
    IgnoredString(kUnsupported, "bind-source-addr", ""),
    IgnoredString(kUnsupported, "bio_cpulist", "", kImmutable),
    IgnoredBool(kUnsupported, "cluster-allow-pubsubshard-when-down", "yes"),
    IgnoredBool(kUnsupported, "cluster-allow-reads-when-down", "no"),
    IgnoredBool(kUnsupported, "cluster-allow-replica-migration", "yes"),
    IgnoredInt(kUnsupported, "cluster-announce-bus-port", "0", 0, 65535),
    IgnoredString(kUnsupported, "cluster-announce-hostname", ""),
    IgnoredString(kUnsupported, "cluster-announce-ip", ""),
    IgnoredInt(kUnsupported, "cluster-announce-port", "0", 0, 65535),
    IgnoredInt(kUnsupported, "cluster-announce-tls-port", "0", 0, 65535),
    IgnoredString(kUnsupported, "cluster-config-file", "nodes.conf", kImmutable),
    IgnoredBool(kUnsupported, "cluster-enabled", "no", kImmutable),
    IgnoredMemory(kUnsupported, "cluster-link-sendbuf-limit", "0", 0, kUllongMax),
    IgnoredInt(kUnsupported, "cluster-migration-barrier", "1", 0, kIntMax),
    IgnoredInt(kUnsupported, "cluster-node-timeout", "15000", 0, kLlongMax),
    IgnoredInt(kUnsupported, "cluster-port", "0", 0, 65535, kImmutable),
    IgnoredEnum(kUnsupported, "cluster-preferred-endpoint-type", "ip",
                "ip hostname unknown-endpoint"),
    IgnoredBool(kUnsupported, "cluster-replica-no-failover", "no", 0, "cluster-slave-no-failover"),
    IgnoredInt(kUnsupported, "cluster-replica-validity-factor", "10", 0, kIntMax, 0,
               "cluster-slave-validity-factor"),
    IgnoredBool(kUnsupported, "cluster-require-full-coverage", "yes"),
    IgnoredBool(kUnsupported, "crash-log-enabled", "yes"),
    IgnoredBool(kUnsupported, "crash-memcheck-enabled", "yes"),
    IgnoredBool(kUnsupported, "disable-thp", "yes", kImmutable),
    IgnoredEnum(kUnsupported, "enable-debug-command", "no", "no yes local", kImmutable),
    IgnoredEnum(kUnsupported, "enable-module-command", "no", "no yes local", kImmutable),
    IgnoredEnum(kUnsupported, "enable-protected-configs", "no", "no yes local", kImmutable),
    IgnoredString(kUnsupported, "ignore-warnings", ""),
    IgnoredInt(kUnsupported, "io-threads", "1", 1, 128, kImmutable),
    IgnoredBool(kUnsupported, "io-threads-do-reads", "no", kImmutable),
    IgnoredBool(kUnsupported, "jemalloc-bg-thread", "yes"),
    IgnoredInt(kUnsupported, "latency-monitor-threshold", "0", 0, kLlongMax),
    IgnoredBool(kUnsupported, "latency-tracking", "yes"),
    IgnoredSpecial(kUnsupported, "latency-tracking-info-percentiles", Type::kPercentiles,
                   "50 99 99.9", {}, kMultiArg),
    IgnoredEnum(kUnsupported, "oom-score-adj", "no", "no yes relative absolute"),
    IgnoredSpecial(kUnsupported, "oom-score-adj-values", Type::kOomValues, "0 200 800", {},
                   kMultiArg),
    IgnoredString(kUnsupported, "proc-title-template", "{title} {listen-addr} {server-mode}"),
    IgnoredEnum(kUnsupported, "sanitize-dump-payload", "no", "no yes clients"),
    IgnoredString(kUnsupported, "server_cpulist", "", kImmutable),
    IgnoredBool(kUnsupported, "set-proc-title", "yes", kImmutable),
    IgnoredSpecial(kUnsupported, "shutdown-on-sigint", Type::kEnumFlags, "default",
                   "default save nosave now force", kMultiArg),
    IgnoredSpecial(kUnsupported, "shutdown-on-sigterm", Type::kEnumFlags, "default",
                   "default save nosave now force", kMultiArg),
    IgnoredInt(kUnsupported, "shutdown-timeout", "10", 0, kIntMax),
    IgnoredInt(kUnsupported, "slowlog-log-slower-than", "10000", -1, kLlongMax),
    IgnoredInt(kUnsupported, "slowlog-max-len", "128", 0, kLlongMax),
    IgnoredInt(kUnsupported, "socket-mark-id", "0", 0, kUintMax, kImmutable),
    IgnoredEnum(kUnsupported, "supervised", "no", "upstart systemd auto no", kImmutable),
    IgnoredBool(kUnsupported, "syslog-enabled", "no", kImmutable),
    IgnoredEnum(kUnsupported, "syslog-facility", "local0",
                "user local0 local1 local2 local3 local4 local5 local6 local7", kImmutable),
    IgnoredString(kUnsupported, "syslog-ident", "redis", kImmutable),
    IgnoredEnum(kUnsupported, "tls-auth-clients", "yes", "no yes optional"),
    IgnoredString(kUnsupported, "tls-ca-cert-dir", ""),
    IgnoredString(kUnsupported, "tls-ca-cert-file", ""),
    IgnoredString(kUnsupported, "tls-cert-file", ""),
    IgnoredString(kUnsupported, "tls-ciphers", ""),
    IgnoredString(kUnsupported, "tls-ciphersuites", ""),
    IgnoredString(kUnsupported, "tls-client-cert-file", ""),
    IgnoredString(kUnsupported, "tls-client-key-file", ""),
    IgnoredString(kUnsupported, "tls-client-key-file-pass", ""),
    IgnoredBool(kUnsupported, "tls-cluster", "no"),
    IgnoredString(kUnsupported, "tls-dh-params-file", ""),
    IgnoredString(kUnsupported, "tls-key-file", ""),
    IgnoredString(kUnsupported, "tls-key-file-pass", ""),
    IgnoredInt(kUnsupported, "tls-port", "0", 0, 65535),
    IgnoredBool(kUnsupported, "tls-prefer-server-ciphers", "no"),
    IgnoredString(kUnsupported, "tls-protocols", ""),
    IgnoredBool(kUnsupported, "tls-replication", "no"),
    IgnoredInt(kUnsupported, "tls-session-cache-size", "20480", 0, kIntMax),
    IgnoredInt(kUnsupported, "tls-session-cache-timeout", "300", 0, kIntMax),
    IgnoredBool(kUnsupported, "tls-session-caching", "yes"),
    IgnoredBool(kUnsupported, "use-exit-on-panic", "no", kHidden),
    IgnoredInt(kUnsupported, "watchdog-period", "0", 0, kIntMax, kHidden),
};

constexpr size_t kDirectiveCount = std::size(kDirectives);

// Redis 7.0 still accepts these in a file, with exactly one value, and does nothing with them.
constexpr std::string_view kDeprecated[] = {"list-max-ziplist-entries", "list-max-ziplist-value",
                                            "lua-replicate-commands"};

// ---------------------------------------------------------------------------------------------
// Text helpers.

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLowerAscii(c);
  return out;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s, std::string_view chars) {
  size_t begin = s.find_first_not_of(chars);
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(chars);
  return s.substr(begin, end - begin + 1);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits a config line into arguments with Redis's sdssplitargs() rules: blanks separate
// arguments; "double quotes" understand \n \r \t \b \a \xHH and \<any>; 'single quotes' only \';
// a quote may open in the middle of an argument but a closing quote must be followed by a blank
// or the end. The line is read as a C string, so a NUL byte ends it. Returns nullopt for
// unbalanced quotes.
std::optional<std::vector<std::string>> SplitArgs(std::string_view line) {
  std::vector<std::string> args;
  size_t i = 0;
  auto at = [&line](size_t k) { return k < line.size() ? line[k] : '\0'; };
  for (;;) {
    while (at(i) != '\0' && IsSpace(at(i))) ++i;
    if (at(i) == '\0') return args;
    std::string current;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      char c = at(i);
      if (in_double) {
        if (c == '\\' && at(i + 1) == 'x' && HexValue(at(i + 2)) >= 0 && HexValue(at(i + 3)) >= 0) {
          current += static_cast<char>(HexValue(at(i + 2)) * 16 + HexValue(at(i + 3)));
          i += 3;
        } else if (c == '\\' && at(i + 1) != '\0') {
          ++i;
          switch (at(i)) {
            case 'n':
              current += '\n';
              break;
            case 'r':
              current += '\r';
              break;
            case 't':
              current += '\t';
              break;
            case 'b':
              current += '\b';
              break;
            case 'a':
              current += '\a';
              break;
            default:
              current += at(i);
              break;
          }
        } else if (c == '"') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;
        } else {
          current += c;
        }
      } else if (in_single) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          current += '\'';
        } else if (c == '\'') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;
        } else {
          current += c;
        }
      } else {
        // Only these four end an unquoted argument; \v and \f are ordinary bytes here although
        // the skip above treats them as blanks. That is Redis's behaviour too.
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            current += c;
            break;
        }
      }
      if (at(i) != '\0') ++i;
    }
    args.push_back(std::move(current));
  }
}

// Appends `s` double-quoted so that SplitArgs() gives it back unchanged (Redis sdscatrepr()).
void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\a':
        out->append("\\a");
        break;
      case '\b':
        out->append("\\b");
        break;
      default:
        if (std::isprint(static_cast<unsigned char>(c))) {
          out->push_back(c);
        } else {
          out->append(fmt::format("\\x{:02x}", static_cast<unsigned char>(c)));
        }
        break;
    }
  }
  out->push_back('"');
}

// CONFIG SET splits a multi-argument value at every single space (Redis sdssplitlen()), so two
// spaces make an empty argument and "" makes no argument at all.
std::vector<std::string> SplitAtSpaces(std::string_view value) {
  std::vector<std::string> parts;
  if (value.empty()) return parts;
  size_t start = 0;
  for (;;) {
    size_t space = value.find(' ', start);
    if (space == std::string_view::npos) {
      parts.emplace_back(value.substr(start));
      return parts;
    }
    parts.emplace_back(value.substr(start, space - start));
    start = space + 1;
  }
}

// The `index`th word of a space-separated list.
std::string_view Word(std::string_view words, size_t index) {
  size_t start = 0;
  for (size_t i = 0; i < index; ++i) start = words.find(' ', start) + 1;
  size_t end = words.find(' ', start);
  return words.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

// The index of `word` (any case) in a space-separated list, or -1.
int FindWord(std::string_view words, std::string_view word) {
  int index = 0;
  size_t start = 0;
  for (;;) {
    size_t end = words.find(' ', start);
    std::string_view candidate =
        words.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (EqualsNoCase(candidate, word)) return index;
    if (end == std::string_view::npos) return -1;
    start = end + 1;
    ++index;
  }
}

std::string EnumError(std::string_view choices) {
  std::string list(choices);
  std::string out = "argument(s) must be one of the following: ";
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i] == ' ') {
      out += ", ";
    } else {
      out += list[i];
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += ' ';
    out += part;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Number parsers, each with the exact leniency of the Redis function it stands in for.

// Redis string2ll(): an optional '-', then digits without a leading zero ("0" alone is fine);
// no '+', no blanks, no overflow.
bool ParseStrictInt(std::string_view s, int64_t* out) {
  if (s == "0") {
    *out = 0;
    return true;
  }
  bool negative = !s.empty() && s[0] == '-';
  size_t i = negative ? 1 : 0;
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;
  uint64_t value = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (value > (kUllongMax - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if (negative) {
    if (value > kLlongMax + 1) return false;
    *out = static_cast<int64_t>(0 - value);  // modular, so INT64_MIN comes out right
  } else {
    if (value > kLlongMax) return false;
    *out = static_cast<int64_t>(value);
  }
  return true;
}

// Redis 7.0.15 memtoull(): digits, then an optional unit among b k kb m mb g gb (any case), where
// k/m/g are powers of 1000 and kb/mb/gb powers of 1024. Its quirks are kept because they decide
// what loads: no digits means 0 ("" and "kb" are 0), too many digits saturate at 2^64-1, and the
// unit multiplication wraps around silently.
bool ParseMemory(std::string_view s, uint64_t* out) {
  if (!s.empty() && s[0] == '-') return false;
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  std::string_view unit = s.substr(digits);
  uint64_t multiplier;
  if (unit.empty() || EqualsNoCase(unit, "b")) {
    multiplier = 1;
  } else if (EqualsNoCase(unit, "k")) {
    multiplier = 1000;
  } else if (EqualsNoCase(unit, "kb")) {
    multiplier = 1024;
  } else if (EqualsNoCase(unit, "m")) {
    multiplier = 1000ull * 1000;
  } else if (EqualsNoCase(unit, "mb")) {
    multiplier = 1024ull * 1024;
  } else if (EqualsNoCase(unit, "g")) {
    multiplier = 1000ull * 1000 * 1000;
  } else if (EqualsNoCase(unit, "gb")) {
    multiplier = 1024ull * 1024 * 1024;
  } else {
    return false;
  }
  if (digits >= 128) return false;  // Redis copies the digits into a 128-byte buffer
  uint64_t value = 0;
  for (size_t i = 0; i < digits; ++i) {
    uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (value > (kUllongMax - digit) / 10) {
      value = kUllongMax;
      break;
    }
    value = value * 10 + digit;
  }
  *out = value * multiplier;
  return true;
}

// C strtoll() over the whole of `s` (leading blanks and a sign allowed, "" reads as 0), as Redis
// uses it for octal permissions and a few special directives. `out_of_range` reports ERANGE,
// which only some callers treat as an error.
bool ParseWithStrtoll(std::string_view s, int base, int64_t* out, bool* out_of_range) {
  std::string copy(s);
  char* end = nullptr;
  errno = 0;
  long long value = std::strtoll(copy.c_str(), &end, base);
  *out_of_range = errno == ERANGE;
  if (*end != '\0') return false;
  *out = value;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Assigning and rendering values.

template <typename T>
T Config::*FieldOf(const Directive& directive) {
  const auto* field = std::get_if<T Config::*>(&directive.field);
  return field != nullptr ? *field : nullptr;
}

std::string RangeError(int64_t min, uint64_t max) {
  return fmt::format("argument must be between {} and {} inclusive", min, max);
}

std::string RenderOutputLimits(const Config& config) {
  static constexpr std::string_view kNames[kClientClassCount] = {"normal", "slave", "pubsub"};
  std::string out;
  for (int i = 0; i < kClientClassCount; ++i) {
    const OutputLimit& limit = config.output_limits[i];
    if (!out.empty()) out += ' ';
    out += fmt::format("{} {} {} {}", kNames[i], limit.hard_bytes, limit.soft_bytes,
                       limit.soft_seconds);
  }
  return out;
}

// client-output-buffer-limit: checks every group before changing anything, like Redis.
std::string AssignOutputLimits(std::span<const std::string> args, Config* config) {
  if (args.size() % 4 != 0) return "Wrong number of arguments in buffer limit configuration.";
  OutputLimit limits[kClientClassCount];
  std::copy(std::begin(config->output_limits), std::end(config->output_limits), limits);
  for (size_t i = 0; i < args.size(); i += 4) {
    int client_class;
    if (EqualsNoCase(args[i], "normal")) {
      client_class = static_cast<int>(ClientClass::kNormal);
    } else if (EqualsNoCase(args[i], "slave") || EqualsNoCase(args[i], "replica")) {
      client_class = static_cast<int>(ClientClass::kReplica);
    } else if (EqualsNoCase(args[i], "pubsub")) {
      client_class = static_cast<int>(ClientClass::kPubSub);
    } else {
      return "Invalid client class specified in buffer limit configuration.";
    }
    OutputLimit limit;
    int64_t seconds = 0;
    bool out_of_range = false;
    if (!ParseMemory(args[i + 1], &limit.hard_bytes) ||
        !ParseMemory(args[i + 2], &limit.soft_bytes) ||
        !ParseWithStrtoll(args[i + 3], 10, &seconds, &out_of_range) || out_of_range ||
        seconds < 0) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    limit.soft_seconds = seconds;
    limits[client_class] = limit;
  }
  std::copy(std::begin(limits), std::end(limits), config->output_limits);
  return {};
}

// save: `first_in_load` is null outside Load. Inside, it says whether this is the load's first
// save line: that one replaces Redis's default schedule, later ones add to it.
std::string AssignSave(std::span<const std::string> args, std::string* slot, bool* first_in_load) {
  bool reset = args.size() == 1 && args[0].empty();
  if (reset) args = {};
  if (args.size() % 2 != 0) return "Invalid save parameters";
  std::vector<std::string> pairs;
  for (size_t i = 0; i < args.size(); ++i) {
    int64_t value = 0;
    bool out_of_range = false;  // Redis ignores overflow here: strtoll saturates
    if (!ParseWithStrtoll(args[i], 10, &value, &out_of_range) || value < (i % 2 == 0 ? 1 : 0)) {
      return "Invalid save parameters";
    }
    pairs.push_back(std::to_string(value));
  }
  if (reset || first_in_load == nullptr || *first_in_load) slot->clear();
  if (first_in_load != nullptr) *first_in_load = false;
  std::string joined = Join(pairs);
  if (!joined.empty()) {
    if (!slot->empty()) *slot += ' ';
    *slot += joined;
  }
  return {};
}

std::string AssignReplicaOf(std::span<const std::string> args, Config* config) {
  if (args.size() != 2) return "wrong number of arguments";
  if (EqualsNoCase(args[0], "no") && EqualsNoCase(args[1], "one")) {
    config->master_host.clear();
    config->master_port = 0;
    return {};
  }
  int64_t port = 0;
  bool out_of_range = false;
  if (!ParseWithStrtoll(args[1], 10, &port, &out_of_range) || port < 0 || port > 65535) {
    return "Invalid master port";
  }
  config->master_host = args[0];
  config->master_port = static_cast<int>(port);
  return {};
}

// maxmemory-clients. Redis keeps a percentage as a negative number, so a byte count above 2^63
// turns into a percentage; the rendering below reproduces what that looks like.
std::string AssignMemoryOrPercent(std::string_view arg, std::string* slot) {
  int64_t value;
  uint64_t bytes = 0;
  int64_t percent = 0;
  if (ParseMemory(arg, &bytes)) {
    value = static_cast<int64_t>(bytes);
  } else if (arg.size() > 1 && arg.back() == '%' &&
             ParseStrictInt(arg.substr(0, arg.size() - 1), &percent) && percent >= 0) {
    value = -percent;
  } else {
    return "argument must be a memory or percent value";
  }
  if (value < 0) {
    uint64_t magnitude = 0 - static_cast<uint64_t>(value);
    if (magnitude > 100) return "percentage argument must be less or equal to 100";
    *slot = fmt::format("{}%", magnitude);
  } else {
    *slot = std::to_string(value);
  }
  return {};
}

// shutdown-on-sigint / shutdown-on-sigterm: "default" or a set of save/nosave/now/force, rendered
// in that order.
std::string AssignEnumFlags(const Directive& directive, std::span<const std::string> args,
                            std::string* slot) {
  if (args.empty()) return EnumError(directive.choices);
  unsigned flags = 0;
  for (const std::string& arg : args) {
    int index = FindWord(directive.choices, arg);
    if (index < 0) return EnumError(directive.choices);
    if (index > 0) flags |= 1u << index;  // word 0 is "default", no bit
  }
  if ((flags & 0b110) == 0b110)
    return "shutdown options SAVE and NOSAVE can't be used simultaneously";
  std::vector<std::string> words;
  for (int index = 1; index < 5; ++index) {
    if (flags & (1u << index)) words.emplace_back(Word(directive.choices, index));
  }
  *slot = words.empty() ? std::string(Word(directive.choices, 0)) : Join(words);
  return {};
}

std::string AssignOomValues(std::span<const std::string> args, std::string* slot) {
  if (args.size() != 3) return "wrong number of arguments";
  std::vector<std::string> values;
  for (const std::string& arg : args) {
    int64_t value = 0;
    bool out_of_range = false;
    if (!ParseWithStrtoll(arg, 10, &value, &out_of_range) || value < -2000 || value > 2000) {
      return "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
    }
    values.push_back(std::to_string(value));
  }
  *slot = Join(values);
  return {};
}

std::string AssignPercentiles(std::span<const std::string> args, std::string* slot) {
  if (args.size() == 1 && args[0].empty()) args = {};
  std::vector<std::string> values;
  for (const std::string& arg : args) {
    char* end = nullptr;
    double value = arg.empty() || IsSpace(arg[0]) ? NAN : std::strtod(arg.c_str(), &end);
    if (std::isnan(value) || *end != '\0') {
      return "Invalid latency-tracking-info-percentiles parameters";
    }
    if (value < 0.0 || value > 100.0) {
      return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
    }
    values.push_back(fmt::format("{:g}", value));
  }
  *slot = Join(values);
  return {};
}

// notify-keyspace-events, rendered the way Redis renders its flag set: "A" when every class it
// covers is on (and then 'n', outside "A", is not shown), then K, E and m.
std::string AssignKeyspaceEvents(std::string_view arg, std::string* slot) {
  constexpr std::string_view kClasses = "g$lshzxetdn";  // the order Redis renders them in
  constexpr std::string_view kAll = "g$lshzxetd";       // what 'A' stands for
  std::string seen;
  for (char c : arg) {
    if (c == 'A') {
      seen += kAll;
    } else if (kClasses.find(c) != std::string_view::npos || c == 'K' || c == 'E' || c == 'm') {
      seen += c;
    } else {
      return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
    }
  }
  auto has = [&seen](char c) { return seen.find(c) != std::string::npos; };
  std::string out;
  bool all = true;
  for (char c : kAll) all = all && has(c);
  if (all) {
    out = "A";
  } else {
    for (char c : kClasses) {
      if (has(c)) out += c;
    }
  }
  for (char c : std::string_view("KEm")) {
    if (has(c)) out += c;
  }
  *slot = out;
  return {};
}

// Parses `args` for `directive` and stores the value: in `config` if the directive has a field,
// otherwise, rendered, in `slot`. Returns "" or Redis's reason for refusing the value; on refusal
// nothing was changed. `first_save_in_load`: see AssignSave.
std::string Assign(const Directive& directive, std::span<const std::string> args, Config* config,
                   std::string* slot, bool* first_save_in_load) {
  if (!(directive.flags & kMultiArg) && args.size() != 1) return "wrong number of arguments";
  switch (directive.type) {
    case Type::kBool: {
      bool value;
      if (EqualsNoCase(args[0], "yes")) {
        value = true;
      } else if (EqualsNoCase(args[0], "no")) {
        value = false;
      } else {
        return "argument must be 'yes' or 'no'";
      }
      if (auto field = FieldOf<bool>(directive)) {
        config->*field = value;
      } else {
        *slot = value ? "yes" : "no";
      }
      return {};
    }
    case Type::kInt: {
      int64_t value = 0;
      if (!ParseStrictInt(args[0], &value)) return "argument couldn't be parsed into an integer";
      if (value < directive.min || (value > 0 && static_cast<uint64_t>(value) > directive.max)) {
        return RangeError(directive.min, directive.max);
      }
      if (auto field = FieldOf<int>(directive)) {
        // maxclients allows up to 2^32-1 like Redis; an int field keeps what fits.
        config->*field = static_cast<int>(std::min<int64_t>(value, kIntMax));
      } else if (auto wide = FieldOf<int64_t>(directive)) {
        config->*wide = value;
      } else {
        *slot = std::to_string(value);
      }
      return {};
    }
    case Type::kMemory: {
      uint64_t value = 0;
      if (!ParseMemory(args[0], &value)) return "argument must be a memory value";
      if (value < static_cast<uint64_t>(directive.min) || value > directive.max) {
        return RangeError(directive.min, directive.max);
      }
      if (auto field = FieldOf<uint64_t>(directive)) {
        config->*field = value;
      } else {
        *slot = std::to_string(value);
      }
      return {};
    }
    case Type::kOctal: {
      int64_t value = 0;
      bool out_of_range = false;
      if (!ParseWithStrtoll(args[0], 8, &value, &out_of_range) || out_of_range) {
        return "argument couldn't be parsed as an octal number";
      }
      if (value < directive.min || static_cast<uint64_t>(value) > directive.max) {
        return fmt::format("argument must be between {:o} and {:o} inclusive", directive.min,
                           directive.max);
      }
      if (auto field = FieldOf<int>(directive)) {
        config->*field = static_cast<int>(value);
      } else {
        *slot = fmt::format("{:o}", value);
      }
      return {};
    }
    case Type::kEnum: {
      int index = FindWord(directive.choices, args[0]);
      if (index < 0) return EnumError(directive.choices);
      if (auto field = FieldOf<LogLevel>(directive)) {
        config->*field = static_cast<LogLevel>(index);
      } else {
        *slot = std::string(Word(directive.choices, index));
      }
      return {};
    }
    case Type::kString:
      if (auto field = FieldOf<std::string>(directive)) {
        config->*field = args[0];
      } else {
        *slot = args[0];
      }
      return {};
    case Type::kBind:
    case Type::kWords:
    case Type::kAddresses: {
      if (directive.type == Type::kBind && args.size() > kMaxBindAddresses) {
        return "Too many bind addresses specified.";
      }
      std::vector<std::string> addresses(args.begin(), args.end());
      if (addresses.size() == 1 && addresses[0].empty()) addresses.clear();
      if (directive.type == Type::kAddresses) {
        for (const std::string& rule : addresses) {
          if (!IsAddressRule(rule)) {
            return fmt::format("Invalid address '{}': expected an IP address, a CIDR block or *",
                               rule);
          }
        }
      }
      if (auto field = FieldOf<std::vector<std::string>>(directive)) {
        config->*field = std::move(addresses);
      } else {
        *slot = Join(addresses);
      }
      return {};
    }
    case Type::kOutputLimits:
      return AssignOutputLimits(args, config);
    case Type::kSave:
      return AssignSave(args, slot, first_save_in_load);
    case Type::kReplicaOf:
      return AssignReplicaOf(args, config);
    case Type::kMemoryOrPercent:
      return AssignMemoryOrPercent(args[0], slot);
    case Type::kEnumFlags:
      return AssignEnumFlags(directive, args, slot);
    case Type::kOomValues:
      return AssignOomValues(args, slot);
    case Type::kPercentiles:
      return AssignPercentiles(args, slot);
    case Type::kKeyspaceEvents:
      return AssignKeyspaceEvents(args[0], slot);
  }
  return "unknown directive type";
}

// The CONFIG GET text of a directive.
std::string Render(const Directive& directive, const Config& config, const std::string& slot) {
  switch (directive.type) {
    case Type::kBool:
      if (auto field = FieldOf<bool>(directive)) return config.*field ? "yes" : "no";
      break;
    case Type::kInt:
      if (auto field = FieldOf<int>(directive)) return std::to_string(config.*field);
      if (auto wide = FieldOf<int64_t>(directive)) return std::to_string(config.*wide);
      break;
    case Type::kMemory:
      if (auto field = FieldOf<uint64_t>(directive)) return std::to_string(config.*field);
      break;
    case Type::kOctal:
      if (auto field = FieldOf<int>(directive)) return fmt::format("{:o}", config.*field);
      break;
    case Type::kEnum:
      if (auto field = FieldOf<LogLevel>(directive)) {
        return std::string(Word(directive.choices, static_cast<size_t>(config.*field)));
      }
      break;
    case Type::kString:
      if (auto field = FieldOf<std::string>(directive)) return config.*field;
      break;
    case Type::kBind:
    case Type::kWords:
    case Type::kAddresses:
      if (auto field = FieldOf<std::vector<std::string>>(directive)) return Join(config.*field);
      break;
    case Type::kOutputLimits:
      return RenderOutputLimits(config);
    case Type::kReplicaOf:
      if (config.master_host.empty()) return "";
      return fmt::format("{} {}", config.master_host, config.master_port);
    default:
      break;
  }
  return slot;
}

// One source inside a text handed to ParseText: where it starts and what to call it in the
// "<file>:<line>" line of an error.
struct Segment {
  size_t offset;
  std::string name;
  // Files and standard input number their own lines. The command line continues the count of
  // what precedes it, the way Redis reports it.
  bool own_numbering;
};

// Appends everything `file` holds to `out`. Returns false with Redis's message, naming `name`.
bool ReadAll(std::FILE* file, const std::string& name, std::string* out, std::string* error) {
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) out->append(buffer, n);
  if (std::ferror(file) == 0) return true;
  // Redis would load a directory as an empty file; saying so is more useful.
  *error = fmt::format("Fatal error, can't read config file '{}': {}", name, std::strerror(errno));
  return false;
}

// Appends the content of the file at `path` to `out`. Returns false with Redis's message.
bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    *error =
        fmt::format("Fatal error, can't open config file '{}': {}", path, std::strerror(errno));
    return false;
  }
  bool ok = ReadAll(file, path, out, error);
  std::fclose(file);
  return ok;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct ConfigStore::Impl {
  // A directive as named: its row, and whether the name was its alias.
  struct Entry {
    size_t row;
    bool alias;
    bool operator==(const Entry&) const = default;
  };

  // The rendered value of every row without a Config field (unused for the others).
  std::vector<std::string> values;
  // Every canonical and alias name, in lower case, pointing into kDirectives.
  std::unordered_map<std::string_view, Entry> by_name;

  // State of the Load in progress.
  bool first_save = true;
  std::vector<bool> noticed;
  std::vector<std::string>* notices = nullptr;

  Impl();

  std::optional<Entry> Find(std::string_view name) const {
    auto it = by_name.find(ToLower(name));
    if (it == by_name.end()) return std::nullopt;
    return it->second;
  }
  static std::string_view NameOf(Entry entry) {
    const Directive& directive = kDirectives[entry.row];
    return entry.alias ? directive.alias : directive.name;
  }

  bool ParseText(std::string_view text, const std::vector<Segment>& segments, int depth,
                 Config* config, std::string* error);
  bool Include(const std::string& pattern, int depth, Config* config, std::string* error);
  void Notice(size_t row, std::string_view name);
};

ConfigStore::Impl::Impl() : values(kDirectiveCount), noticed(kDirectiveCount) {
  for (size_t row = 0; row < kDirectiveCount; ++row) {
    const Directive& directive = kDirectives[row];
    values[row] = std::string(directive.fallback);
    by_name.emplace(directive.name, Entry{row, false});
    if (!directive.alias.empty()) by_name.emplace(directive.alias, Entry{row, true});
  }
  // Redis's `dir` defaults to the directory it was started in.
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  if (!ec) values[by_name.at("dir").row] = cwd.string();
}

void ConfigStore::Impl::Notice(size_t row, std::string_view name) {
  if (noticed[row] || notices == nullptr) return;
  noticed[row] = true;
  std::string_view why;
  switch (kDirectives[row].use) {
    case Use::kActive:
      return;
    case Use::kNoData:
      why = "herald keeps no data";
      break;
    case Use::kNoReplication:
      why = "herald's replication has no use for it";
      break;
    case Use::kUnsupported:
      why = "not supported by herald";
      break;
  }
  notices->push_back(fmt::format("Ignoring '{}': {}", name, why));
}

// Parses a whole configuration text the way Redis's loadServerConfigFromString() does: split at
// '\n', trim " \t\r\n", skip blank lines and lines starting with '#', split the rest into
// arguments and match the first one, in any case, against the directives.
//
// Returns:
//   true  every line was applied (or is a comment);
//   false `*error` holds the complete message for the first bad line (or the file that could
//         not be read); lines before it have been applied.
bool ConfigStore::Impl::ParseText(std::string_view text, const std::vector<Segment>& segments,
                                  int depth, Config* config, std::string* error) {
  size_t line_start = 0;
  int line_number = 0;
  while (line_start <= text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    ++line_number;
    std::string_view line = Trim(text.substr(line_start, line_end - line_start), " \t\r\n");
    // Redis sees each line as a C string.
    line = line.substr(0, line.find('\0'));
    size_t offset = line_start;
    line_start = line_end + 1;
    if (line.empty() || line[0] == '#') continue;

    auto fail = [&](std::string_view reason) {
      const Segment* segment = &segments.front();
      for (const Segment& candidate : segments) {
        if (candidate.offset <= offset) segment = &candidate;
      }
      int where = line_number;
      if (segment->own_numbering) {
        for (size_t i = 0; i < segment->offset && i < text.size(); ++i) where -= text[i] == '\n';
      }
      *error = fmt::format(
          "*** FATAL CONFIG FILE ERROR (Redis {}) ***\n"
          "Reading the configuration file, at line {}\n"
          ">>> '{}'\n"
          "{}\n"
          "{}:{}: {}",
          kRedisVersion, line_number, line, reason, segment->name, where, reason);
      return false;
    };

    std::optional<std::vector<std::string>> split = SplitArgs(line);
    if (!split) return fail("Unbalanced quotes in configuration line");
    std::vector<std::string>& argv = *split;
    if (argv.empty()) continue;
    std::string name = ToLower(argv[0]);

    if (std::optional<Entry> entry = Find(name)) {
      const Directive& directive = kDirectives[entry->row];
      std::vector<std::string> args(argv.begin() + 1, argv.end());
      if (!(directive.flags & kMultiArg) && args.size() != 1) {
        return fail("wrong number of arguments");
      }
      // `bind "a b"` and `--bind "a b"` mean `bind a b`; an unbalanced inner quote leaves no
      // argument at all, as in Redis.
      if ((directive.flags & kMultiArg) && args.size() == 1 && !args[0].empty()) {
        args = SplitArgs(args[0]).value_or(std::vector<std::string>{});
      }
      std::string reason = Assign(directive, args, config, &values[entry->row], &first_save);
      if (!reason.empty()) return fail(reason);
      Notice(entry->row, NameOf(*entry));
      continue;
    }
    bool deprecated = false;
    for (std::string_view old : kDeprecated) deprecated = deprecated || name == old;
    if (deprecated && argv.size() == 2) {
      if (notices != nullptr) {
        notices->push_back(fmt::format("Ignoring '{}': deprecated since Redis 7.0", name));
      }
      continue;
    }

    if (name == "include" && argv.size() == 2) {
      if (depth >= kMaxIncludeDepth) return fail("include nesting is too deep");
      if (!Include(argv[1], depth + 1, config, error)) return false;
    } else if (name == "rename-command" && argv.size() == 3) {
      return fail("rename-command is not supported by herald");
    } else if (name == "user" && argv.size() >= 2) {
      return fail("ACL users are not supported by herald (use requirepass)");
    } else if (name == "loadmodule" && argv.size() >= 2) {
      return fail("modules are not supported by herald");
    } else if (name.find('.') != std::string::npos) {
      if (argv.size() == 1) return fail("Module config specified without value");
      return fail("modules are not supported by herald");
    } else if (name == "sentinel") {
      // A bare "sentinel" line is a no-op in Redis too.
      if (argv.size() != 1) return fail("sentinel directive while not in sentinel mode");
    } else {
      return fail("Bad directive or wrong number of arguments");
    }
  }
  return true;
}

// `include` reads a file relative to the working directory, like Redis. A pattern with * ? or [
// includes every match, concatenated into one text (so the "at line" count runs across them), and
// none at all is fine, so that an empty conf.d directory can be included.
bool ConfigStore::Impl::Include(const std::string& pattern, int depth, Config* config,
                                std::string* error) {
  std::string text;
  std::vector<Segment> segments;
  if (pattern.find_first_of("*?[") != std::string::npos) {
    glob_t matches;
    if (glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
      for (size_t i = 0; i < matches.gl_pathc; ++i) {
        segments.push_back({text.size(), matches.gl_pathv[i], true});
        if (!ReadFile(matches.gl_pathv[i], &text, error)) {
          globfree(&matches);
          return false;
        }
      }
      globfree(&matches);
    }
    if (segments.empty()) return true;
  } else {
    segments.push_back({0, pattern, true});
    if (!ReadFile(pattern, &text, error)) return false;
  }
  return ParseText(text, segments, depth, config, error);
}

// ---------------------------------------------------------------------------------------------

ConfigStore::ConfigStore() : impl_(std::make_unique<Impl>()) {}

ConfigStore::~ConfigStore() = default;

bool ConfigStore::Load(const CommandLine& command_line, std::string* error,
                       std::vector<std::string>* notices) {
  bool from_stdin = command_line.config_from_stdin || command_line.config_file == "-";
  std::string path = command_line.config_file == "-" ? std::string() : command_line.config_file;
  std::string absolute;
  std::string text;
  std::vector<Segment> segments;
  std::string ignored_error;
  if (error == nullptr) error = &ignored_error;

  // Redis reads the file, then standard input, then appends "\n" and the command-line options,
  // and parses the whole as one text.
  if (!path.empty()) {
    std::error_code ec;
    std::filesystem::path full = std::filesystem::absolute(path, ec);
    absolute = ec ? path : full.lexically_normal().string();
    segments.push_back({0, absolute, true});
    if (!ReadFile(absolute, &text, error)) return false;
  }
  if (from_stdin) {
    segments.push_back({text.size(), "stdin", true});
    // Read to EOF and left open, as redis-server does.
    if (!ReadAll(stdin, "stdin", &text, error)) return false;
  }
  if (!command_line.overrides.empty()) {
    text += '\n';
    segments.push_back({text.size(), "command line", false});
    text += command_line.overrides;
  }
  if (segments.empty()) return true;

  Config saved_config = config_;
  std::vector<std::string> saved_values = impl_->values;
  impl_->first_save = true;
  impl_->noticed.assign(kDirectiveCount, false);
  impl_->notices = notices;
  bool ok = impl_->ParseText(text, segments, 0, &config_, error);
  impl_->notices = nullptr;
  if (!ok) {
    config_ = std::move(saved_config);
    impl_->values = std::move(saved_values);
    return false;
  }
  config_file_ = absolute;
  return true;
}

bool ConfigStore::Load(const std::string& path, const std::string& overrides, std::string* error,
                       std::vector<std::string>* notices) {
  CommandLine command_line;
  command_line.config_file = path;
  command_line.overrides = overrides;
  return Load(command_line, error, notices);
}

std::vector<std::pair<std::string, std::string>> ConfigStore::Get(
    const std::vector<std::string_view>& patterns) const {
  // Slot 2*row is a row's canonical name, 2*row+1 its alias: Redis lists both spellings.
  std::vector<std::optional<std::string>> matched(2 * kDirectiveCount);
  for (std::string_view pattern : patterns) {
    if (pattern.find_first_of("[*?") == std::string_view::npos) {
      // An exact name is answered under the spelling asked for, hidden directives included.
      if (std::optional<Impl::Entry> entry = impl_->Find(pattern)) {
        auto& slot = matched[2 * entry->row + (entry->alias ? 1 : 0)];
        if (!slot) slot = std::string(pattern);
      }
      continue;
    }
    // Redis matches patterns without regard to case; every name is lower case, so lowering the
    // pattern is equivalent (Redis lowers both sides byte by byte, ranges included).
    std::string lowered = ToLower(pattern);
    for (size_t row = 0; row < kDirectiveCount; ++row) {
      const Directive& directive = kDirectives[row];
      if (directive.flags & kHidden) continue;
      for (int alias = 0; alias < 2; ++alias) {
        std::string_view name = alias ? directive.alias : directive.name;
        auto& slot = matched[2 * row + alias];
        if (name.empty() || slot) continue;
        if (protocol::GlobMatch(lowered, name)) slot = std::string(name);
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < matched.size(); ++i) {
    if (!matched[i]) continue;
    size_t row = i / 2;
    out.emplace_back(std::move(*matched[i]), Render(kDirectives[row], config_, impl_->values[row]));
  }
  return out;
}

// Redis's order of checks: names, mutability and duplicates for every pair first (the first
// problem wins), then the values one by one (the first bad one restores everything), then the
// apply hook.
std::string ConfigStore::Set(
    const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  std::vector<Impl::Entry> entries;
  for (const auto& [name, value] : pairs) {
    std::optional<Impl::Entry> entry = impl_->Find(name);
    if (!entry) {
      return fmt::format("ERR Unknown option or number of arguments for CONFIG SET - '{}'", name);
    }
    const Directive& directive = kDirectives[entry->row];
    // These errors name the argument as the client spelled it; value errors below use the
    // directive's own name. Redis does the same.
    if (directive.flags & kImmutable) {
      return fmt::format(
          "ERR CONFIG SET failed (possibly related to argument '{}') - can't set immutable config",
          name);
    }
    if (directive.flags & kProtected) {
      return fmt::format(
          "ERR CONFIG SET failed (possibly related to argument '{}') - can't set protected config",
          name);
    }
    if (std::find(entries.begin(), entries.end(), *entry) != entries.end()) {
      return fmt::format(
          "ERR CONFIG SET failed (possibly related to argument '{}') - duplicate parameter", name);
    }
    entries.push_back(*entry);
  }

  Config saved_config = config_;
  std::vector<std::string> saved_values = impl_->values;
  auto restore = [&] {
    config_ = saved_config;
    impl_->values = saved_values;
  };
  std::vector<std::string> before;
  before.reserve(entries.size());
  for (const Impl::Entry& entry : entries) {
    before.push_back(Render(kDirectives[entry.row], config_, impl_->values[entry.row]));
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const Directive& directive = kDirectives[entries[i].row];
    std::vector<std::string> args;
    if (directive.flags & kMultiArg) {
      args = SplitAtSpaces(pairs[i].second);
    } else {
      args.emplace_back(pairs[i].second);
    }
    std::string reason = Assign(directive, args, &config_, &impl_->values[entries[i].row], nullptr);
    if (!reason.empty()) {
      restore();
      return fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - {}",
                         Impl::NameOf(entries[i]), reason);
    }
    // Redis raises a backlog size set at run time to its 16kb minimum, and CONFIG GET then shows
    // the raised value (observed on 7.0.15); a value loaded from a file is kept as written.
    if (directive.field == Field(&Config::repl_backlog_size)) {
      config_.repl_backlog_size = std::max<uint64_t>(config_.repl_backlog_size, 16 * 1024);
    }
  }

  std::vector<std::string> changed;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Directive& directive = kDirectives[entries[i].row];
    if (Render(directive, config_, impl_->values[entries[i].row]) == before[i]) continue;
    if (std::find(changed.begin(), changed.end(), directive.name) != changed.end()) continue;
    changed.emplace_back(directive.name);
  }
  if (changed.empty() || !apply_) return {};
  std::string apply_error = apply_(changed);
  if (!apply_error.empty()) {
    // Like Redis, put the old values back and apply them again so that the server returns to
    // them; a failure of that second apply has nothing better to report than the first.
    restore();
    apply_(changed);
    return apply_error;
  }
  return {};
}

void ConfigStore::SetReplicaOf(std::string host, int port) {
  config_.master_host = std::move(host);
  config_.master_port = config_.master_host.empty() ? 0 : port;
}

// ---------------------------------------------------------------------------------------------

bool ParseCommandLine(int argc, const char* const* argv, CommandLine* out, std::string* error) {
  *out = CommandLine{};
  if (argc < 1 || argv == nullptr) {
    if (error != nullptr) *error = "empty command line";
    return false;
  }
  for (int i = 0; i < argc; ++i) {
    if (argv[i] == nullptr) {
      if (error != nullptr) *error = fmt::format("argument {} is missing", i);
      return false;
    }
  }
  if (argc < 2) return true;

  std::string_view first = argv[1];
  if (first == "-v" || first == "--version") {
    out->version = true;
    return true;
  }
  if (first == "--help" || first == "-h") {
    out->help = true;
    return true;
  }
  int j = 1;
  if (!first.starts_with('-')) {
    out->config_file = argv[1];
    j = 2;
  }
  // Whether the last `--name` already has a value. Until it has one, even an argument starting
  // with "--" is taken as its value (`--port --bind x` sets port to "--bind" "x" and fails), as
  // in redis-server.
  bool have_value = true;
  std::string& options = out->overrides;
  for (; j < argc; ++j) {
    std::string_view arg = argv[j];
    bool next_is_option = j + 1 < argc && std::string_view(argv[j + 1]).starts_with("--");
    if (arg == "-" && (j == 1 || j == argc - 1)) {
      out->config_from_stdin = true;
    } else if (have_value && arg.starts_with("--")) {
      if (!options.empty()) options += '\n';
      options.append(arg.substr(2));
      options += ' ';
      std::optional<std::vector<std::string>> words = SplitArgs(arg);
      if (words && words->size() == 1) {
        // Just a name: values follow. A bare --save means `save ""` (no snapshots), as
        // generated command lines produce it; a bare --sentinel has no value at all.
        have_value = false;
        bool is_save = EqualsNoCase(arg, "--save");
        if (is_save && (next_is_option || j == argc - 1)) {
          options += "\"\"";
          have_value = next_is_option;
        } else if (EqualsNoCase(arg, "--sentinel") && next_is_option) {
          have_value = true;
        }
      } else {
        // "--port 6380" as one argument carries its own value.
        have_value = true;
      }
    } else {
      AppendQuoted(&options, arg);
      options += ' ';
      have_value = true;
    }
  }
  if (out->config_from_stdin && out->config_file.empty()) out->config_file = "-";
  return true;
}

}  // namespace herald::server
