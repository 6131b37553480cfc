// Loading the configuration: defaults, files, quoting, errors, include, the command line.
// CONFIG GET/SET/REWRITE are in config_commands_test.cc.

#include "config/config.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/unit/config/config_test_util.h"

namespace herald::config {
namespace {

using namespace test_util;
namespace fs = std::filesystem;

}  // namespace

TEST_SUITE("config/config") {
  TEST_CASE("defaults match Redis 7.0 except bind") {
    ConfigStore store;
    const Config& c = store.config();
    CHECK(c.port == 6379);
    CHECK(c.bind == std::vector<std::string>{"127.0.0.1", "-::1"});
    CHECK(c.maxclients == 10000);
    CHECK(c.loglevel == LogLevel::kNotice);
    CHECK(GetOne(store, "bind") == "127.0.0.1 -::1");
    CHECK(GetOne(store, "client-output-buffer-limit") ==
          "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    CHECK(GetOne(store, "client-query-buffer-limit") == "1073741824");
    CHECK(GetOne(store, "proto-max-bulk-len") == "536870912");
    CHECK(GetOne(store, "protected-mode") == "yes");
    CHECK(GetOne(store, "daemonize") == "no");
    CHECK(GetOne(store, "unixsocketperm") == "0");
    CHECK(GetOne(store, "loglevel") == "notice");
    CHECK(GetOne(store, "save") == "3600 1 300 100 60 10000");
    CHECK(GetOne(store, "appendonly") == "no");
    CHECK(GetOne(store, "maxmemory-policy") == "noeviction");
    CHECK(GetOne(store, "replicaof") == "");
    CHECK(GetOne(store, "dir") == fs::current_path().string());
    CHECK(store.config_file().empty());
  }

  TEST_CASE("a good file sets every directive herald acts on") {
    TempDir dir;
    ConfigStore store;
    LoadResult result = LoadText(&store, dir,
                                 "# A comment\n"
                                 "\n"
                                 "   # an indented comment\n"
                                 "PORT 7000\n"
                                 "Bind 10.0.0.1 -::1\n"
                                 "unixsocket /tmp/herald.sock\n"
                                 "unixsocketperm 0770\n"
                                 "requirepass \"s3cret pass\"\n"
                                 "protected-mode NO\n"
                                 "maxclients 50\n"
                                 "timeout 30\n"
                                 "tcp-keepalive 0\n"
                                 "tcp-backlog 128\n"
                                 "client-output-buffer-limit normal 1kb 2mb 3\n"
                                 "client-output-buffer-limit REPLICA 1k 2m 4\n"
                                 "client-output-buffer-limit pubsub 1G 1GB 5\n"
                                 "client-query-buffer-limit 2mb\n"
                                 "proto-max-bulk-len 1gb\n"
                                 "loglevel WARNING\n"
                                 "logfile \"\"\n"
                                 "pidfile /run/herald.pid\n"
                                 "daemonize yes\r\n"
                                 "\tdatabases   4  \n");
    REQUIRE_MESSAGE(result.ok, result.error);
    CHECK(result.notices.empty());
    const Config& c = store.config();
    CHECK(c.port == 7000);
    CHECK(c.bind == std::vector<std::string>{"10.0.0.1", "-::1"});
    CHECK(c.unixsocket == "/tmp/herald.sock");
    CHECK(c.unixsocketperm == 0770);
    CHECK(c.requirepass == "s3cret pass");
    CHECK_FALSE(c.protected_mode);
    CHECK(c.maxclients == 50);
    CHECK(c.timeout == 30);
    CHECK(c.tcp_keepalive == 0);
    CHECK(c.tcp_backlog == 128);
    CHECK(c.output_limits[0].hard_bytes == 1024);
    CHECK(c.output_limits[0].soft_bytes == 2 * 1024 * 1024);
    CHECK(c.output_limits[0].soft_seconds == 3);
    CHECK(c.output_limits[1].hard_bytes == 1000);
    CHECK(c.output_limits[1].soft_bytes == 2000000);
    CHECK(c.output_limits[2].hard_bytes == 1000000000);
    CHECK(c.output_limits[2].soft_bytes == 1ull << 30);
    CHECK(c.client_query_buffer_limit == 2 << 20);
    CHECK(c.proto_max_bulk_len == 1ull << 30);
    CHECK(c.loglevel == LogLevel::kWarning);
    CHECK(c.logfile.empty());
    CHECK(c.pidfile == "/run/herald.pid");
    CHECK(c.daemonize);
    CHECK(c.databases == 4);
    CHECK(store.config_file() == dir.path() + "/herald.conf");
    CHECK(GetOne(store, "client-output-buffer-limit") ==
          "normal 1024 2097152 3 slave 1000 2000000 4 pubsub 1000000000 1073741824 5");
    CHECK(GetOne(store, "unixsocketperm") == "770");
    CHECK(GetOne(store, "bind") == "10.0.0.1 -::1");
  }

  TEST_CASE("the last occurrence wins, save and output limits accumulate") {
    TempDir dir;
    ConfigStore store;
    LoadResult result = LoadText(&store, dir,
                                 "port 1\nport 2\n"
                                 "bind 1.1.1.1 2.2.2.2\nbind 3.3.3.3\n"
                                 "save 100 1\nsave 200 2\n"
                                 "client-output-buffer-limit pubsub 1 2 3\n"
                                 "client-output-buffer-limit normal 4 5 6\n"
                                 "client-output-buffer-limit pubsub 7 8 9\n");
    REQUIRE_MESSAGE(result.ok, result.error);
    CHECK(store.config().port == 2);
    CHECK(store.config().bind == std::vector<std::string>{"3.3.3.3"});
    CHECK(GetOne(store, "save") == "100 1 200 2");
    CHECK(GetOne(store, "client-output-buffer-limit") ==
          "normal 4 5 6 slave 268435456 67108864 60 pubsub 7 8 9");

    SUBCASE("save \"\" clears, then lines add up again") {
      ConfigStore other;
      REQUIRE(LoadText(&other, dir, "save 100 1\nsave \"\"\nsave 5 6\n").ok);
      CHECK(GetOne(other, "save") == "5 6");
      ConfigStore none;
      REQUIRE(LoadText(&none, dir, "save 100 1\nsave \"\"\n").ok);
      CHECK(GetOne(none, "save") == "");
    }
    SUBCASE("bind \"\" means no address; a quoted list is split") {
      ConfigStore other;
      REQUIRE(LoadText(&other, dir, "bind \"\"\n").ok);
      CHECK(other.config().bind.empty());
      REQUIRE(LoadText(&other, dir, "bind \"127.0.0.1 ::1\"\n").ok);
      CHECK(other.config().bind == std::vector<std::string>{"127.0.0.1", "::1"});
      REQUIRE(LoadText(&other, dir, "client-output-buffer-limit \"pubsub 0 0 0\"\n").ok);
      CHECK(other.config().output_limits[2].hard_bytes == 0);
    }
  }

  TEST_CASE("quoting follows sdssplitargs") {
    TempDir dir;
    struct Case {
      std::string line;
      std::string value;
    };
    const Case cases[] = {
        {"requirepass \"a\\x41\\x4g\\q\\n\"", "aAx4gq\n"},
        {"requirepass 'a\\'b\\nc'", "a'b\\nc"},
        {"requirepass a\"b c\"", "ab c"},
        {"requirepass a'b'", "ab"},
        {"requirepass \"\"", ""},
        {"requirepass \"\\t\\r\\b\\a\\\\\\\"\"", "\t\r\b\a\\\""},
        {"requirepass x\vy", "x\vy"},  // \v separates nothing inside an argument
    };
    for (const Case& c : cases) {
      CAPTURE(c.line);
      ConfigStore store;
      LoadResult result = LoadText(&store, dir, c.line + "\n");
      REQUIRE_MESSAGE(result.ok, result.error);
      CHECK(store.config().requirepass == c.value);
    }
    for (const char* bad : {"requirepass \"abc", "requirepass 'abc", "requirepass \"ab\"cd",
                            "requirepass 'ab'cd", "requirepass \"abc\\\""}) {
      CAPTURE(bad);
      CHECK(LineError(bad) == "Unbalanced quotes in configuration line");
    }
  }

  TEST_CASE("the error block is Redis's, plus file and line") {
    TempDir dir;
    ConfigStore store;
    LoadResult result = LoadText(&store, dir, "port 1\n\nport \"abc\"\nport 2\n");
    REQUIRE_FALSE(result.ok);
    CHECK(result.error == Block(3, "port \"abc\"", "argument couldn't be parsed into an integer",
                                dir.path() + "/herald.conf:3"));
    // A failed load changes nothing.
    CHECK(store.config().port == 6379);

    result = LoadText(&store, dir, "  port   1 2  \n");
    CHECK(result.error ==
          Block(1, "port   1 2", "wrong number of arguments", dir.path() + "/herald.conf:1"));
  }

  TEST_CASE("bad values give Redis's reasons") {
    struct Case {
      const char* line;
      const char* reason;
    };
    const Case cases[] = {
        {"foo bar", "Bad directive or wrong number of arguments"},
        {"\"\"", "Bad directive or wrong number of arguments"},
        {"port", "wrong number of arguments"},
        {"port 1 2", "wrong number of arguments"},
        {"port 7000 # comment", "wrong number of arguments"},
        {"port abc", "argument couldn't be parsed into an integer"},
        {"port \"\"", "argument couldn't be parsed into an integer"},
        {"port 007", "argument couldn't be parsed into an integer"},
        {"port +1", "argument couldn't be parsed into an integer"},
        {"port -0", "argument couldn't be parsed into an integer"},
        {"port 99999999999999999999", "argument couldn't be parsed into an integer"},
        {"port 65536", "argument must be between 0 and 65535 inclusive"},
        {"port -1", "argument must be between 0 and 65535 inclusive"},
        {"maxclients 0", "argument must be between 1 and 4294967295 inclusive"},
        {"maxclients 4294967296", "argument must be between 1 and 4294967295 inclusive"},
        {"timeout -1", "argument must be between 0 and 2147483647 inclusive"},
        {"tcp-keepalive 2147483648", "argument must be between 0 and 2147483647 inclusive"},
        {"tcp-backlog x", "argument couldn't be parsed into an integer"},
        {"databases 0", "argument must be between 1 and 2147483647 inclusive"},
        {"protected-mode 1", "argument must be 'yes' or 'no'"},
        {"daemonize true", "argument must be 'yes' or 'no'"},
        {"daemonize \" yes\"", "argument must be 'yes' or 'no'"},
        {"loglevel loud",
         "argument(s) must be one of the following: debug, verbose, notice, warning"},
        {"unixsocketperm 778", "argument couldn't be parsed as an octal number"},
        {"unixsocketperm 1000", "argument must be between 0 and 777 inclusive"},
        {"unixsocketperm -1", "argument must be between 0 and 777 inclusive"},
        {"client-query-buffer-limit 1m",
         "argument must be between 1048576 and 9223372036854775807 inclusive"},
        {"client-query-buffer-limit \"\"",
         "argument must be between 1048576 and 9223372036854775807 inclusive"},
        {"client-query-buffer-limit 1tb", "argument must be a memory value"},
        {"client-query-buffer-limit -1mb", "argument must be a memory value"},
        {"client-query-buffer-limit 99999999999999999999",
         "argument must be between 1048576 and 9223372036854775807 inclusive"},
        {"proto-max-bulk-len 1000kb",
         "argument must be between 1048576 and 9223372036854775807 inclusive"},
        {"proto-max-bulk-len 1 mb", "wrong number of arguments"},
        {"client-output-buffer-limit foo 1 2 3",
         "Invalid client class specified in buffer limit configuration."},
        {"client-output-buffer-limit master 1 2 3",
         "Invalid client class specified in buffer limit configuration."},
        {"client-output-buffer-limit normal 1 2",
         "Wrong number of arguments in buffer limit configuration."},
        {"client-output-buffer-limit normal 1 2 3 pubsub 1 2",
         "Wrong number of arguments in buffer limit configuration."},
        {"client-output-buffer-limit normal x 2 3",
         "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
        {"client-output-buffer-limit normal 1 -2 3",
         "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
        {"client-output-buffer-limit normal 1 2 -1",
         "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
        {"client-output-buffer-limit normal 1 2 5x",
         "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
        {"client-output-buffer-limit normal 1 2 99999999999999999999",
         "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
        {"bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", "Too many bind addresses specified."},
        {"include", "Bad directive or wrong number of arguments"},
        {"include a b", "Bad directive or wrong number of arguments"},
        {"rename-command a", "Bad directive or wrong number of arguments"},
        {"rename-command CONFIG \"\"", "rename-command is not supported by herald"},
        {"loadmodule /x.so", "modules are not supported by herald"},
        {"mymodule.option", "Module config specified without value"},
        {"mymodule.option 1", "modules are not supported by herald"},
        {"sentinel monitor x", "sentinel directive while not in sentinel mode"},
        {"list-max-ziplist-entries 1 2", "Bad directive or wrong number of arguments"},
        // Ignored directives are still validated like Redis validates them.
        {"appendonly maybe", "argument must be 'yes' or 'no'"},
        {"appendfsync sometimes", "argument(s) must be one of the following: everysec, always, no"},
        {"hz 0x10", "argument couldn't be parsed into an integer"},
        {"io-threads 0", "argument must be between 1 and 128 inclusive"},
        {"maxmemory lots", "argument must be a memory value"},
        {"repl-backlog-size 0", "argument must be between 1 and 9223372036854775807 inclusive"},
        {"save 1", "Invalid save parameters"},
        {"save 0 1", "Invalid save parameters"},
        {"save 1 -1", "Invalid save parameters"},
        {"save 1x 2", "Invalid save parameters"},
        {"replicaof host", "wrong number of arguments"},
        {"replicaof host 70000", "Invalid master port"},
        {"slaveof host abc", "Invalid master port"},
        {"maxmemory-clients 101%", "percentage argument must be less or equal to 100"},
        {"maxmemory-clients -1", "argument must be a memory or percent value"},
        {"notify-keyspace-events KEAq", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
        {"shutdown-on-sigint save nosave",
         "shutdown options SAVE and NOSAVE can't be used simultaneously"},
        {"shutdown-on-sigint later",
         "argument(s) must be one of the following: default, save, nosave, now, force"},
        {"oom-score-adj-values 0 200", "wrong number of arguments"},
        {"oom-score-adj-values 0 200 3000",
         "Invalid oom-score-adj-values, elements must be between -2000 and 2000."},
        {"latency-tracking-info-percentiles 50 x",
         "Invalid latency-tracking-info-percentiles parameters"},
        {"latency-tracking-info-percentiles 101",
         "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.line);
      CHECK(LineError(c.line) == c.reason);
    }
  }

  TEST_CASE("values that Redis accepts, quirks included") {
    TempDir dir;
    ConfigStore store;
    LoadResult result = LoadText(&store, dir,
                                 "unixsocketperm \"\"\n"
                                 "maxclients 4294967295\n"
                                 "client-output-buffer-limit normal 1b 2B \"\"\n"
                                 "client-output-buffer-limit slave 99999999999999999999 0 +5\n"
                                 "maxmemory 18014398509481984kb\n"
                                 "hash-max-ziplist-value kb\n"
                                 "slowlog-log-slower-than -1\n"
                                 "list-max-listpack-size -2147483648\n"
                                 "sentinel\n"
                                 "list-max-ziplist-entries 5\n"
                                 "lua-replicate-commands yes\n"
                                 "loglevel warning\n");
    REQUIRE_MESSAGE(result.ok, result.error);
    CHECK(store.config().unixsocketperm == 0);
    CHECK(store.config().maxclients == 4294967295);
    CHECK(store.config().loglevel == LogLevel::kWarning);
    CHECK(GetOne(store, "client-output-buffer-limit") ==
          "normal 1 2 0 slave 18446744073709551615 0 5 pubsub 33554432 8388608 60");
    CHECK(GetOne(store, "maxmemory") == "0");  // the unit multiplication wraps, as in Redis
    CHECK(GetOne(store, "hash-max-listpack-value") == "0");
    CHECK(GetOne(store, "slowlog-log-slower-than") == "-1");
    CHECK(GetOne(store, "list-max-ziplist-size") == "-2147483648");
  }

  TEST_CASE("ignored directives are stored, rendered like Redis and noticed once") {
    TempDir dir;
    ConfigStore store;
    LoadResult result = LoadText(&store, dir,
                                 "appendonly YES\n"
                                 "appendfsync ALWAYS\n"
                                 "maxmemory 1gb\n"
                                 "auto-aof-rewrite-min-size 64MB\n"
                                 "maxmemory-clients 10%\n"
                                 "notify-keyspace-events KEA\n"
                                 "shutdown-on-sigint nosave force now\n"
                                 "latency-tracking-info-percentiles 50.0 99.90 1e1\n"
                                 "oom-score-adj-values \"-2000 +0 2000\"\n"
                                 "slaveof example.com 6380\n"
                                 "replicaof example.com 6381\n"
                                 "tls-port 6390\n"
                                 "appendonly no\n"
                                 "list-max-ziplist-value 64\n");
    REQUIRE_MESSAGE(result.ok, result.error);
    CHECK(GetOne(store, "appendonly") == "no");
    CHECK(GetOne(store, "appendfsync") == "always");
    CHECK(GetOne(store, "maxmemory") == "1073741824");
    CHECK(GetOne(store, "auto-aof-rewrite-min-size") == "67108864");
    CHECK(GetOne(store, "maxmemory-clients") == "10%");
    CHECK(GetOne(store, "notify-keyspace-events") == "AKE");
    CHECK(GetOne(store, "shutdown-on-sigint") == "nosave now force");
    CHECK(GetOne(store, "latency-tracking-info-percentiles") == "50 99.9 10");
    CHECK(GetOne(store, "oom-score-adj-values") == "-2000 0 2000");
    CHECK(GetOne(store, "replicaof") == "example.com 6381");
    CHECK(GetOne(store, "slaveof") == "example.com 6381");
    CHECK(result.notices ==
          std::vector<std::string>{
              "Ignoring 'appendonly': herald keeps no data",
              "Ignoring 'appendfsync': herald keeps no data",
              "Ignoring 'maxmemory': herald keeps no data",
              "Ignoring 'auto-aof-rewrite-min-size': herald keeps no data",
              "Ignoring 'maxmemory-clients': herald keeps no data",
              "Ignoring 'notify-keyspace-events': herald keeps no data",
              "Ignoring 'shutdown-on-sigint': not supported by herald",
              "Ignoring 'latency-tracking-info-percentiles': not supported by herald",
              "Ignoring 'oom-score-adj-values': not supported by herald",
              "Ignoring 'list-max-ziplist-value': deprecated since Redis 7.0",
          });

    SUBCASE("notify-keyspace-events and shutdown flags render in Redis's order") {
      const std::pair<const char*, const char*> events[] = {
          {"nKEA", "AKE"}, {"Kgx", "gxK"},  {"xgK", "gxK"},       {"g$lshzxetmd", "Am"},
          {"n", "n"},      {"Kn", "nK"},    {"ndmtKe", "etdnKm"}, {"", ""},
          {"AAn", "A"},    {"$lgm", "g$lm"}};
      for (const auto& [in, out] : events) {
        const char* input = in;
        CAPTURE(input);
        CHECK(Set(&store, {{"notify-keyspace-events", in}}) == "");
        CHECK(GetOne(store, "notify-keyspace-events") == out);
      }
      const std::pair<const char*, const char*> flags[] = {
          {"default", "default"}, {"now save", "save now"}, {"default now", "now"}, {"NOW", "now"}};
      for (const auto& [in, out] : flags) {
        const char* input = in;
        CAPTURE(input);
        CHECK(Set(&store, {{"shutdown-on-sigterm", in}}) == "");
        CHECK(GetOne(store, "shutdown-on-sigterm") == out);
      }
      const std::pair<const char*, const char*> clients[] = {
          {"0%", "0"}, {"5mb", "5242880"}, {"99999999999999999999", "1%"}};
      for (const auto& [in, out] : clients) {
        const char* input = in;
        CAPTURE(input);
        CHECK(Set(&store, {{"maxmemory-clients", in}}) == "");
        CHECK(GetOne(store, "maxmemory-clients") == out);
      }
      CHECK(Set(&store, {{"replicaof", "no one"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set "
            "immutable config");
    }
  }

  TEST_CASE("replication directives fill Config and render like Redis") {
    TempDir dir;
    ConfigStore store;
    auto result = LoadText(&store, dir,
                           "slaveof master.example 6380\n"
                           "masterauth s3cret\n"
                           "masteruser repl\n"
                           "repl-backlog-size 1\n"
                           "repl-backlog-ttl 9999999999\n"
                           "repl-timeout 5\n"
                           "repl-ping-slave-period 2\n"
                           "slave-announce-ip 10.0.0.1\n"
                           "replica-announce-port 7001\n");
    REQUIRE_MESSAGE(result.ok, result.error);
    CHECK(result.notices.empty());
    const Config& config = store.config();
    CHECK(config.master_host == "master.example");
    CHECK(config.master_port == 6380);
    CHECK(config.masterauth == "s3cret");
    CHECK(config.masteruser == "repl");
    CHECK(config.repl_backlog_size == 1);  // a file keeps a value below 16kb, as Redis does
    CHECK(config.repl_backlog_ttl == 9999999999);
    CHECK(config.repl_timeout == 5);
    CHECK(config.repl_ping_replica_period == 2);
    CHECK(config.replica_announce_ip == "10.0.0.1");
    CHECK(config.replica_announce_port == 7001);
    CHECK(GetOne(store, "replicaof") == "master.example 6380");
    CHECK(GetOne(store, "repl-backlog-ttl") == "9999999999");
    CHECK(GetOne(store, "repl-ping-slave-period") == "2");
    // CONFIG SET raises the backlog to Redis's 16kb minimum; replicaof stays immutable, but
    // REPLICAOF (SetReplicaOf) changes what CONFIG GET answers.
    CHECK(Set(&store, {{"repl-backlog-size", "100"}}) == "");
    CHECK(GetOne(store, "repl-backlog-size") == "16384");
    CHECK(Set(&store, {{"repl-backlog-size", "2mb"}}) == "");
    CHECK(store.config().repl_backlog_size == 2097152);
    CHECK(Set(&store, {{"slaveof", "a 1"}}) ==
          "ERR CONFIG SET failed (possibly related to argument 'slaveof') - can't set immutable "
          "config");
    store.SetReplicaOf("", 0);
    CHECK(GetOne(store, "replicaof") == "");
    store.SetReplicaOf("127.0.0.1", 7000);
    CHECK(GetOne(store, "slaveof") == "127.0.0.1 7000");
    CHECK(store.config().master_port == 7000);
    auto none = LoadText(&store, dir, "replicaof no one\n");
    REQUIRE(none.ok);
    CHECK(store.config().master_host.empty());
  }

  TEST_CASE("include") {
    TempDir dir;
    dir.Write("inc.conf", "port 1\n\n  # c\nport abc\n");
    dir.Write("good.conf", "port 1234\n");
    dir.Write("conf.d.a.conf", "timeout 5\n");
    dir.Write("conf.d.b.conf", "timeout 6\ntcp-keepalive 7");

    SUBCASE("relative to the working directory") {
      ScopedChdir cd(dir.path());
      ConfigStore store;
      LoadResult result = LoadText(&store, dir, "port 5\ninclude good.conf\ntimeout 9\n");
      REQUIRE_MESSAGE(result.ok, result.error);
      CHECK(store.config().port == 1234);
      CHECK(store.config().timeout == 9);
    }
    SUBCASE("an error names the included file and its own line") {
      ConfigStore store;
      LoadResult result = LoadText(&store, dir, "port 5\ninclude " + dir.path() + "/inc.conf\n");
      CHECK(result.error == Block(4, "port abc", "argument couldn't be parsed into an integer",
                                  dir.path() + "/inc.conf:4"));
    }
    SUBCASE("a missing file") {
      ScopedChdir cd(dir.path());
      ConfigStore store;
      LoadResult result = LoadText(&store, dir, "include nofile.conf\n");
      CHECK(result.error ==
            "Fatal error, can't open config file 'nofile.conf': No such file or directory");
    }
    SUBCASE("a pattern includes every match in order, and no match is fine") {
      ConfigStore store;
      LoadResult result = LoadText(&store, dir,
                                   "include " + dir.path() + "/conf.d.*.conf\n" + "include " +
                                       dir.path() + "/none/*.conf\n");
      REQUIRE_MESSAGE(result.ok, result.error);
      CHECK(store.config().timeout == 6);
      CHECK(store.config().tcp_keepalive == 7);
    }
    SUBCASE("a file including itself is stopped") {
      ConfigStore store;
      std::string self = dir.path() + "/herald.conf";
      LoadResult result = LoadFile(&store, dir.Write("herald.conf", "include " + self + "\n"));
      CHECK_FALSE(result.ok);
      CHECK(Reason(result) == "include nesting is too deep");
    }
  }

  TEST_CASE("missing main file names its absolute path") {
    TempDir dir;
    ScopedChdir cd(dir.path());
    ConfigStore store;
    LoadResult result = LoadFile(&store, "nofile.conf");
    CHECK(result.error == "Fatal error, can't open config file '" + dir.path() +
                              "/nofile.conf': No such file or directory");
  }

  TEST_CASE("overrides apply after the file and count lines after it") {
    TempDir dir;
    ConfigStore store;
    std::string file = dir.Write("a.conf", "port 1\nport 2\n");
    LoadResult result = LoadFile(&store, file, "port \"3\" \ntimeout \"4\" ");
    REQUIRE_MESSAGE(result.ok, result.error);
    CHECK(store.config().port == 3);
    CHECK(store.config().timeout == 4);

    // "port 1\nport 2\n" + "\n" + overrides: the bad override is line 4, as Redis says.
    result = LoadFile(&store, file, "port \"abc\" ");
    CHECK(result.error == Block(4, "port \"abc\"", "argument couldn't be parsed into an integer",
                                "command line:4"));
    // Without a trailing newline the file is one line shorter.
    result = LoadFile(&store, dir.Write("b.conf", "port 1\nport 2"), "port \"3\" \nport \"abc\" ");
    CHECK(result.error == Block(4, "port \"abc\"", "argument couldn't be parsed into an integer",
                                "command line:4"));
    // Without a file, Redis's leading "\n" makes the first option line 2.
    result = LoadFile(&store, "", "port \"abc\" ");
    CHECK(result.error == Block(2, "port \"abc\"", "argument couldn't be parsed into an integer",
                                "command line:2"));
    CHECK(store.config().port == 3);
  }

  TEST_CASE("standard input after the file") {
    TempDir dir;
    std::string file = dir.Write("a.conf", "port 1\nport 2\n");
    std::string input = dir.Write("stdin.conf", "port 11\ntimeout x\n");
    REQUIRE(std::freopen(input.c_str(), "r", stdin) != nullptr);
    CommandLine command_line = Parse({file.c_str(), "-"});
    CHECK(command_line.config_from_stdin);
    ConfigStore store;
    std::string error;
    std::vector<std::string> notices;
    CHECK_FALSE(store.Load(command_line, &error, &notices));
    CHECK(error == Block(4, "timeout x", "argument couldn't be parsed into an integer", "stdin:2"));

    dir.Write("stdin.conf", "port 11\n");
    REQUIRE(std::freopen(input.c_str(), "r", stdin) != nullptr);
    CHECK(store.Load(Parse({"-", "--timeout", "8"}), &error, &notices));
    CHECK(store.config().port == 11);
    CHECK(store.config().timeout == 8);
    CHECK(store.config_file().empty());
  }

  TEST_CASE("the command line, as redis-server turns it into config text") {
    CHECK(Parse({}).overrides.empty());
    CHECK(Parse({"-v"}).version);
    CHECK(Parse({"--version"}).version);
    CHECK(Parse({"-h"}).help);
    CHECK(Parse({"--help"}).help);
    CHECK_FALSE(Parse({"--port", "1", "--help"}).help);  // only as the first argument

    CommandLine c = Parse({"/etc/herald.conf", "--port", "7000", "--bind", "127.0.0.1", "::1"});
    CHECK(c.config_file == "/etc/herald.conf");
    CHECK_FALSE(c.config_from_stdin);
    CHECK(c.overrides == "port \"7000\" \nbind \"127.0.0.1\" \"::1\" ");

    CHECK(Parse({"--save"}).overrides == "save \"\"");
    CHECK(Parse({"--save", "--port", "1"}).overrides == "save \"\"\nport \"1\" ");
    CHECK(Parse({"--SAVE", "--port", "1"}).overrides == "SAVE \"\"\nport \"1\" ");
    CHECK(Parse({"--save", "", "--port", "1"}).overrides == "save \"\" \nport \"1\" ");
    CHECK(Parse({"--port", "--bind", "x"}).overrides == "port \"--bind\" \"x\" ");
    CHECK(Parse({"--port 7000"}).overrides == "port 7000 ");
    CHECK(Parse({"--", "--port", "abc"}).overrides == " \"--port\" \"abc\" ");
    CHECK(Parse({"--port", "a b\"c\\d"}).overrides == "port \"a b\\\"c\\\\d\" ");
    CHECK(Parse({"--port", "a\x01\xff\n"}).overrides == "port \"a\\x01\\xff\\n\" ");
    CHECK(Parse({"--client-output-buffer-limit", "pubsub 0 0 0"}).overrides ==
          "client-output-buffer-limit \"pubsub 0 0 0\" ");

    c = Parse({"-", "--port", "1"});
    CHECK(c.config_file == "-");
    CHECK(c.config_from_stdin);
    c = Parse({"a.conf", "--port", "1", "-"});
    CHECK(c.config_file == "a.conf");
    CHECK(c.config_from_stdin);
    c = Parse({"--port", "7000", "-", "--bind", "x"});  // "-" in the middle is a value
    CHECK_FALSE(c.config_from_stdin);
    CHECK(c.overrides == "port \"7000\" \"-\" \nbind \"x\" ");

    CommandLine out;
    std::string error;
    CHECK_FALSE(ParseCommandLine(0, nullptr, &out, &error));
    CHECK_FALSE(error.empty());
  }

  TEST_CASE("command-line overrides load like redis-server's") {
    auto load = [](std::vector<const char*> args, ConfigStore* store) {
      std::string error;
      std::vector<std::string> notices;
      bool ok = store->Load(Parse(std::move(args)), &error, &notices);
      return ok ? std::string() : error;
    };
    ConfigStore store;
    CHECK(load({"--bind", "127.0.0.1", "::1", "--client-output-buffer-limit", "pubsub 0 0 0",
                "--save", "--requirepass", "a \"b\"", "--PORT", "7001"},
               &store) == "");
    CHECK(store.config().bind == std::vector<std::string>{"127.0.0.1", "::1"});
    CHECK(store.config().output_limits[2].hard_bytes == 0);
    CHECK(store.config().requirepass == "a \"b\"");
    CHECK(store.config().port == 7001);
    CHECK(GetOne(store, "save") == "");

    CHECK(load({"--port"}, &store) ==
          Block(2, "port", "wrong number of arguments", "command line:2"));
    CHECK(load({"--port", "--bind", "x"}, &store) ==
          Block(2, "port \"--bind\" \"x\"", "wrong number of arguments", "command line:2"));
    CHECK(load({"--client-output-buffer-limit", "pubsub 0 0"}, &store) ==
          Block(2, "client-output-buffer-limit \"pubsub 0 0\"",
                "Wrong number of arguments in buffer limit configuration.", "command line:2"));
    CHECK(load({"--test", "1"}, &store) ==
          Block(2, "test \"1\"", "Bad directive or wrong number of arguments", "command line:2"));
  }
}

}  // namespace herald::config
