// The run-time side of the configuration: CONFIG GET, SET and REWRITE, and Debian's redis.conf
// through them. Loading is in config_test.cc.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "tests/unit/config/config_test_util.h"

namespace herald::config {
namespace {

using namespace test_util;
namespace fs = std::filesystem;

}  // namespace

TEST_SUITE("config/config") {
  TEST_CASE("CONFIG GET patterns") {
    ConfigStore store;
    auto names = [&store](const std::vector<std::string_view>& patterns) {
      std::vector<std::string> out;
      for (auto& [name, value] : store.Get(patterns)) out.push_back(name);
      return out;
    };
    // Redis 7.0.15 answers CONFIG GET * with 192 names, aliases included, hidden ones not;
    // herald adds its 35 gateway-* directives, tls-handshake-timeout, repl-state-file and the
    // three replica-publish* ones.
    CHECK(store.Get({"*"}).size() == 192 + 35 + 2 + 3);
    CHECK(names({"gateway-*"}).size() == 35);
    CHECK(names({"PORT"}) == std::vector<std::string>{"PORT"});
    CHECK(names({"PORT", "port", "po*"}) == std::vector<std::string>{"PORT"});
    CHECK(names({"PO*"}) == std::vector<std::string>{"port"});
    CHECK(names({"nonexistent"}).empty());
    CHECK(names({"*slave-pri*"}) == std::vector<std::string>{"slave-priority"});
    CHECK(names({"*priority*"}) == std::vector<std::string>{"replica-priority", "slave-priority"});
    CHECK(names({"slaveof", "replicaof"}) == std::vector<std::string>{"replicaof", "slaveof"});
    CHECK(names({"*delay*"}) ==
          std::vector<std::string>{"repl-disable-tcp-nodelay", "repl-diskless-sync-delay"});
    CHECK(names({"key-load-delay"}) == std::vector<std::string>{"key-load-delay"});  // hidden
    CHECK(names({"t[ci]*out"}) == std::vector<std::string>{"timeout"});
    CHECK(names({"maxmemory*"}).size() == 5);

    auto pairs = store.Get({"client-output-buffer-limit", "bind", "maxclients"});
    CHECK(pairs == std::vector<std::pair<std::string, std::string>>{
                       {"bind", "127.0.0.1 -::1"},
                       {"maxclients", "10000"},
                       {"client-output-buffer-limit",
                        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"}});
  }

  TEST_CASE("CONFIG SET") {
    ConfigStore store;
    std::vector<std::vector<std::string>> applied;
    store.set_apply_hook([&applied](const std::vector<std::string>& names) {
      applied.push_back(names);
      return std::string();
    });

    SUBCASE("several pairs") {
      CHECK(Set(&store, {{"port", "7000"}, {"TIMEOUT", "5"}, {"loglevel", "Debug"}}) == "");
      CHECK(store.config().port == 7000);
      CHECK(store.config().timeout == 5);
      CHECK(store.config().loglevel == LogLevel::kDebug);
      CHECK(applied == std::vector<std::vector<std::string>>{{"port", "timeout", "loglevel"}});
      // Nothing changed: no apply.
      CHECK(Set(&store, {{"port", "7000"}}) == "");
      CHECK(applied.size() == 1);
      CHECK(Set(&store, {{"protected-mode", "NO"},
                         {"requirepass", ""},
                         {"tcp-keepalive", "0"},
                         {"maxclients", "4294967295"},
                         {"client-query-buffer-limit", "1mb"},
                         {"proto-max-bulk-len", "1024kb"},
                         {"loglevel", "warning"}}) == "");
      CHECK_FALSE(store.config().protected_mode);
      CHECK(store.config().maxclients == 4294967295);
      CHECK(store.config().client_query_buffer_limit == 1 << 20);
      CHECK(store.config().proto_max_bulk_len == 1 << 20);
      CHECK(GetOne(store, "loglevel") == "warning");
    }
    SUBCASE("unknown, immutable, protected and duplicate, first problem wins") {
      CHECK(Set(&store, {{"foo", "1"}}) ==
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
      CHECK(Set(&store, {{"port", "1"}, {"foo", "2"}}) ==
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
      for (const char* name : {"daemonize", "databases", "unixsocket", "unixsocketperm", "logfile",
                               "pidfile", "tcp-backlog", "appendfilename", "io-threads"}) {
        CAPTURE(name);
        CHECK(Set(&store, {{name, "1"}}) ==
              std::string("ERR CONFIG SET failed (possibly related to argument '") + name +
                  "') - can't set immutable config");
      }
      CHECK(Set(&store, {{"DAEMONIZE", "no"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set "
            "immutable config");
      CHECK(Set(&store, {{"dir", "/tmp"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected "
            "config");
      CHECK(Set(&store, {{"port", "abc"}, {"daemonize", "no"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
            "immutable config");
      CHECK(Set(&store, {{"daemonize", "no"}, {"foo", "1"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
            "immutable config");
      CHECK(Set(&store, {{"port", "1"}, {"PORT", "2"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'PORT') - duplicate parameter");
      CHECK(applied.empty());
      // Two spellings of one directive are two parameters to Redis.
      CHECK(Set(&store, {{"replica-priority", "5"}, {"slave-priority", "6"}}) == "");
      CHECK(GetOne(store, "replica-priority") == "6");
    }
    SUBCASE("bad values name the directive and roll everything back") {
      CHECK(Set(&store, {{"PORT", "abc"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be "
            "parsed into an integer");
      CHECK(Set(&store, {{"slave-priority", "abc"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument "
            "couldn't be parsed into an integer");
      CHECK(Set(&store, {{"timeout", "5"}, {"bind", "10.0.0.1"}, {"port", "65536"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'port') - argument must be "
            "between 0 and 65535 inclusive");
      CHECK(store.config().timeout == 0);
      CHECK(store.config().bind == std::vector<std::string>{"127.0.0.1", "-::1"});
      CHECK(Set(&store, {{"maxclients", "0"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must "
            "be between 1 and 4294967295 inclusive");
      CHECK(Set(&store, {{"client-query-buffer-limit", "1m"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - "
            "argument must be between 1048576 and 9223372036854775807 inclusive");
      CHECK(Set(&store, {{"activerehashing", " yes"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'activerehashing') - argument "
            "must be 'yes' or 'no'");
      CHECK(Set(&store, {{"loglevel", "loud"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must "
            "be one of the following: debug, verbose, notice, warning");
      CHECK(applied.empty());
    }
    SUBCASE("multi-argument values split at single spaces") {
      CHECK(Set(&store, {{"client-output-buffer-limit", "pubsub 1mb 1mb 10"}}) == "");
      CHECK(GetOne(store, "client-output-buffer-limit") ==
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 1048576 10");
      CHECK(Set(&store, {{"client-output-buffer-limit", "pubsub  1 2 3"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - "
            "Wrong number of arguments in buffer limit configuration.");
      CHECK(Set(&store, {{"client-output-buffer-limit", "normal 1 2 3 pubsub x 5 6"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - "
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
      CHECK(store.config().output_limits[0].hard_bytes == 0);  // the good group was not kept
      CHECK(Set(&store, {{"client-output-buffer-limit", ""}}) == "");
      CHECK(Set(&store, {{"save", ""}}) == "");
      CHECK(GetOne(store, "save") == "");
      CHECK(Set(&store, {{"save", "1 2  3 4"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save "
            "parameters");
      CHECK(Set(&store, {{"save", "3600 1 300 100"}}) == "");
      CHECK(GetOne(store, "save") == "3600 1 300 100");
      CHECK(Set(&store, {{"bind", "127.0.0.1 -::1 ::2"}}) == "");
      CHECK(store.config().bind == std::vector<std::string>{"127.0.0.1", "-::1", "::2"});
      CHECK(Set(&store, {{"bind", ""}}) == "");
      CHECK(store.config().bind.empty());
      CHECK(Set(&store, {{"maxmemory", "1gb"}}) == "");
      CHECK(GetOne(store, "maxmemory") == "1073741824");
    }
    SUBCASE("a failing apply hook restores the old values and is told again") {
      std::vector<int> ports_seen;
      store.set_apply_hook([&](const std::vector<std::string>& names) {
        applied.push_back(names);
        ports_seen.push_back(store.config().port);
        return std::string(
            "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on "
            "this port");
      });
      CHECK(Set(&store, {{"timeout", "9"}, {"port", "7777"}}) ==
            "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on "
            "this port");
      CHECK(store.config().port == 6379);
      CHECK(store.config().timeout == 0);
      CHECK(ports_seen == std::vector<int>{7777, 6379});
      CHECK(applied.size() == 2);
      CHECK(applied[0] == std::vector<std::string>{"timeout", "port"});
    }
  }

  TEST_CASE("CONFIG REWRITE") {
    TempDir dir;
    SUBCASE("without a file") {
      ConfigStore store;
      CHECK(store.Rewrite() == "ERR The server is running without a config file");
    }
    SUBCASE("Redis's algorithm, line by line") {
      ConfigStore store;
      const std::string cwd = fs::current_path().string();
      REQUIRE(LoadText(&store, dir,
                       "# c\n"
                       "port 7000\n"
                       "slaveof 10.0.0.1 6380\n"
                       "\n"
                       "  hz 5\n"
                       "hz 1000\n"
                       "masterauth secret\n"
                       "list-max-ziplist-entries 5\n")
                  .ok);
      CHECK(GetOne(store, "hz") == "500");
      CHECK(Set(&store, {{"timeout", "9"},
                         {"maxmemory", "1gb"},
                         {"masterauth", ""},
                         {"client-output-buffer-limit", "normal 1mb 0 0"},
                         {"gateway-cors-origins", "https://a.example"},
                         {"requirepass", "a b"}}) == "");
      store.SetReplicaOf("", 0);
      REQUIRE(store.Rewrite() == "");
      std::ifstream in(dir.path() + "/herald.conf");
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      CHECK(text ==
            "# c\n"
            "port 7000\n"
            "\n"
            "hz 500\n"
            "\n"
            "# ??? list-max-ziplist-entries 5\n"
            "\n"
            "# Generated by CONFIG REWRITE\n"
            "requirepass \"a b\"\n"
            "timeout 9\n"
            "client-output-buffer-limit normal 1mb 0 0\n"
            "gateway-cors-origins https://a.example\n"
            "dir \"" +
                cwd +
                "\"\n"
                "maxmemory 1gb\n"
                "save 3600 1\n"
                "save 300 100\n"
                "save 60 10000\n"
                "latency-tracking-info-percentiles 50 99 99.9\n");
      // It loads back to the same values.
      ConfigStore again;
      REQUIRE(LoadFile(&again, dir.path() + "/herald.conf").ok);
      CHECK(again.Get({"*"}) == store.Get({"*"}));
      // No temporary file is left behind.
      int files = 0;
      for (const auto& entry : fs::directory_iterator(dir.path())) files += entry.is_regular_file();
      CHECK(files == 1);
    }
    SUBCASE("a file that cannot be written") {
      ConfigStore store;
      REQUIRE(LoadFile(&store, dir.Write("herald.conf", "port 7000\n")).ok);
      fs::remove_all(dir.path());
      CHECK(store.Rewrite() == "ERR Rewriting config file: No such file or directory");
    }
  }

  TEST_CASE("CONFIG REWRITE of Debian's /etc/redis/redis.conf loads back the same") {
    const char* path = "/etc/redis/redis.conf";
    if (!fs::exists(path)) {
      MESSAGE("skipped: no /etc/redis/redis.conf");
      return;
    }
    TempDir dir;
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ConfigStore store;
    REQUIRE(LoadText(&store, dir, text).ok);
    REQUIRE(Set(&store, {{"timeout", "42"}, {"maxmemory", "3mb"}}) == "");
    REQUIRE(store.Rewrite() == "");
    ConfigStore again;
    LoadResult result = LoadFile(&again, dir.path() + "/herald.conf");
    REQUIRE_MESSAGE(result.ok, result.error);
    CHECK(again.Get({"*"}) == store.Get({"*"}));
    CHECK(GetOne(again, "timeout") == "42");
  }

  TEST_CASE("Debian's /etc/redis/redis.conf loads") {
    const char* path = "/etc/redis/redis.conf";
    if (!fs::exists(path)) {
      MESSAGE("skipped: no /etc/redis/redis.conf");
      return;
    }
    ConfigStore store;
    LoadResult result = LoadFile(&store, path);
    REQUIRE_MESSAGE(result.ok, result.error);
    CHECK(store.config_file() == path);
    CHECK_FALSE(result.notices.empty());
    CHECK(store.config().bind == std::vector<std::string>{"127.0.0.1", "-::1"});
    CHECK(store.config().port == 6379);
    CHECK_FALSE(store.config().pidfile.empty());
    CHECK_FALSE(store.config().logfile.empty());
    CHECK(GetOne(store, "client-output-buffer-limit") ==
          "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  }
}

}  // namespace herald::config
