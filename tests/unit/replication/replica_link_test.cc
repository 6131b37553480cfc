#include "replication/replica_link.h"

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "replication/replication_state.h"
#include "tests/unit/replication/data/captures.h"

namespace herald::repl {
namespace {

using namespace std::string_view_literals;

constexpr std::string_view kIdA = "fb5a503ef1f6696cece532d672d52b855b46fa99";
constexpr std::string_view kIdB = "8a3c7e2f1b0d4c5a6e7f8091a2b3c4d5e6f70819";

// A RESP multibulk command, as the link and a master write them.
std::string Cmd(std::initializer_list<std::string_view> args) {
  // Built with append(): GCC 12 at -O3 warns (-Wrestrict, a known false positive) on
  // "literal" + std::string here.
  std::string out;
  out.append("*").append(std::to_string(args.size())).append("\r\n");
  for (std::string_view a : args) {
    out.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  }
  return out;
}

std::string Ack(int64_t offset) { return Cmd({"REPLCONF", "ACK", std::to_string(offset)}); }
std::string Publish(std::string_view channel, std::string_view message) {
  return Cmd({"PUBLISH", channel, message});
}

const std::string kPing = Cmd({"PING"});
const std::string kCapa = Cmd({"REPLCONF", "capa", "eof", "capa", "psync2"});
const std::string kPsyncFresh = Cmd({"PSYNC", "?", "-1"});
const std::string kGetAck = Cmd({"REPLCONF", "GETACK", "*"});

std::string Port(int64_t port) { return Cmd({"REPLCONF", "listening-port", std::to_string(port)}); }

// An event with its views copied, so runs can be compared after their buffers are gone.
struct Recorded {
  LinkEventKind kind = LinkEventKind::kError;
  std::string channel;
  std::string message;
  std::string raw;
  bool sharded = false;
  std::string replid;
  bool replid_changed = false;
  int64_t offset = 0;
  LinkError error = LinkError::kNone;
  std::string text;
  bool operator==(const Recorded&) const = default;
};

doctest::String toString(const Recorded& e) {
  std::string s = "{kind=" + std::to_string(static_cast<int>(e.kind)) + " ch=" + e.channel +
                  " msg=" + e.message + " sharded=" + std::to_string(e.sharded) +
                  " replid=" + e.replid + " changed=" + std::to_string(e.replid_changed) +
                  " off=" + std::to_string(e.offset) +
                  " err=" + std::to_string(static_cast<int>(e.error)) + " text=" + e.text + "}";
  return doctest::String(s.c_str());
}

Recorded PublishEvent(std::string_view channel, std::string_view message, int64_t offset,
                      bool sharded = false, std::string_view verb = "PUBLISH") {
  Recorded e;
  e.kind = LinkEventKind::kPublish;
  e.channel = channel;
  e.message = message;
  e.raw = Cmd({verb, channel, message});
  e.sharded = sharded;
  e.offset = offset;
  return e;
}

Recorded SyncEvent(LinkEventKind kind, std::string_view replid, int64_t offset,
                   bool changed = false) {
  Recorded e;
  e.kind = kind;
  e.replid = replid;
  e.offset = offset;
  e.replid_changed = changed;
  return e;
}

Recorded ErrorEvent(LinkEventKind kind, LinkError error, std::string_view text) {
  Recorded e;
  e.kind = kind;
  e.error = error;
  e.text = text;
  return e;
}

// Everything observable from one connection.
struct Run {
  std::string output;  // all bytes the link asked to send, Start() included
  std::vector<Recorded> events;
  std::string stream;    // the concatenated FeedResult::stream
  std::string leftover;  // bytes never consumed
  int64_t offset = 0;
  LinkState state = LinkState::kIdle;
  bool operator==(const Run&) const = default;
};

// Feeds `input` cut into chunks of the given sizes (the rest as a last chunk) the way the server
// does: one buffer, consumed bytes dropped after each call. Checks the per-call contract.
Run Drive(ReplicaLink& link, const PsyncRequest& request, std::string_view input,
          const std::vector<size_t>& chunks) {
  Run run;
  link.Start(request, 0);
  run.output += link.output();
  link.ClearOutput();
  std::string buffer;
  size_t at = 0;
  int64_t now = 0;
  const auto feed_chunk = [&](size_t n) {
    buffer.append(input.substr(at, n));
    at += n;
    const LinkState state_before = link.state();
    const int64_t offset_before = link.offset();
    const FeedResult r = link.Feed(buffer, ++now);
    REQUIRE(r.consumed <= buffer.size());
    if (!r.stream.empty()) {
      // The stream is the tail of what was consumed.
      REQUIRE(r.stream.data() >= buffer.data());
      REQUIRE(r.stream.data() + r.stream.size() == buffer.data() + r.consumed);
    }
    int64_t base = offset_before;
    bool synced = state_before == LinkState::kStreaming;
    for (const LinkEvent& e : r.events) {
      Recorded rec;
      rec.kind = e.kind;
      rec.channel = e.channel;
      rec.message = e.message;
      rec.raw = e.raw;
      rec.sharded = e.sharded;
      rec.replid = e.replid;
      rec.replid_changed = e.replid_changed;
      rec.offset = e.offset;
      rec.error = e.error;
      rec.text = e.text;
      if (e.kind == LinkEventKind::kPublish) {
        // raw lies inside the stream bytes of this call.
        REQUIRE(e.raw.data() >= r.stream.data());
        REQUIRE(e.raw.data() + e.raw.size() <= r.stream.data() + r.stream.size());
      }
      if (e.kind == LinkEventKind::kSyncComplete || e.kind == LinkEventKind::kContinue) {
        base = e.offset;
        synced = true;
      }
      run.events.push_back(std::move(rec));
    }
    // The offset moves by exactly the stream bytes handed out.
    if (synced && link.state() != LinkState::kClosed) {
      CHECK(link.offset() == base + static_cast<int64_t>(r.stream.size()));
    }
    run.stream.append(r.stream);
    run.output += link.output();
    link.ClearOutput();
    buffer.erase(0, r.consumed);
  };
  for (size_t n : chunks) {
    if (at >= input.size()) break;
    feed_chunk(std::min(n, input.size() - at));
  }
  if (at < input.size()) feed_chunk(input.size() - at);
  run.leftover = buffer;
  run.offset = link.offset();
  run.state = link.state();
  return run;
}

Run DriveWhole(const ReplicaLinkConfig& config, const PsyncRequest& request,
               std::string_view input) {
  ReplicaLink link(config);
  return Drive(link, request, input, {});
}

// Whole, byte by byte, and at every two-way split: all must give the same run.
void CheckEverySplit(const ReplicaLinkConfig& config, const PsyncRequest& request,
                     std::string_view input, const Run& expected) {
  {
    ReplicaLink link(config);
    const Run run = Drive(link, request, input, std::vector<size_t>(input.size(), 1));
    INFO("byte by byte");
    CHECK(run == expected);
  }
  for (size_t split = 0; split <= input.size(); ++split) {
    ReplicaLink link(config);
    const Run run = Drive(link, request, input, {split});
    INFO("split at ", split);
    REQUIRE(run == expected);
  }
}

ReplicaLinkConfig Config(int64_t port) {
  ReplicaLinkConfig config;
  config.listening_port = port;
  return config;
}

TEST_CASE("full resync with disk framing against a real 7.0 master (master70-fullresync-disk)") {
  const std::string_view input = testdata::kMasterFullResyncDisk;
  const Run run = DriveWhole(Config(23999), {}, input);

  CHECK(run.output == kPing + Port(23999) + kCapa + kPsyncFresh + Ack(539));
  REQUIRE(run.events.size() == 3);
  CHECK(run.events[0] == SyncEvent(LinkEventKind::kFullResync, kIdA, 539));
  CHECK(run.events[1] == SyncEvent(LinkEventKind::kSyncComplete, kIdA, 539));
  CHECK(run.events[2] == PublishEvent("news", "during-disk-sync", 612, false, "publish"));
  CHECK(run.stream == input.substr(input.size() - 73));
  CHECK(run.offset == 612);
  CHECK(run.state == LinkState::kStreaming);
  CHECK(run.leftover.empty());

  CheckEverySplit(Config(23999), {}, input, run);
}

TEST_CASE("full resync with $EOF framing and keepalives (master70-fullresync-diskless)") {
  const std::string_view input = testdata::kMasterFullResyncDiskless;
  const Run run = DriveWhole(Config(23999), {}, input);

  // The GETACK answer reports the offset before the GETACK: 330 + 70 + 47 + 27. (The scripted
  // replica of this capture answered 511, after it; real 7.0 replicas answer before.)
  CHECK(run.output == kPing + Port(23999) + kCapa + kPsyncFresh + Ack(330) + Ack(474));
  REQUIRE(run.events.size() == 4);
  CHECK(run.events[0] == SyncEvent(LinkEventKind::kFullResync, kIdA, 330));
  CHECK(run.events[1] == SyncEvent(LinkEventKind::kSyncComplete, kIdA, 330));
  CHECK(run.events[2] == PublishEvent("news", "hello-replica", 400, false, "publish"));
  CHECK(run.events[3] == PublishEvent("snews", "shard-hello", 447, true, "spublish"));
  CHECK(run.stream.size() == 195);
  CHECK(run.stream == input.substr(input.size() - 195));
  CHECK(run.offset == 525);
  CHECK(run.leftover.empty());

  CheckEverySplit(Config(23999), {}, input, run);
}

TEST_CASE("partial resync against a real 7.0 master (master70-psync-continue)") {
  const std::string_view input = testdata::kMasterPsyncContinue;
  const PsyncRequest request{std::string(kIdA), 525};
  const Run run = DriveWhole(Config(23999), request, input);

  CHECK(run.output == kPing + Port(23999) + kCapa +
                          "*3\r\n$5\r\nPSYNC\r\n$40\r\nfb5a503ef1f6696cece532d672d52b855b46fa99\r\n"
                          "$3\r\n526\r\n");
  REQUIRE(run.events.size() == 2);
  CHECK(run.events[0] == SyncEvent(LinkEventKind::kContinue, kIdA, 525));
  CHECK(run.events[1] == PublishEvent("news", "during-disk-sync", 612, false, "publish"));
  CHECK(run.stream.size() == 101);
  CHECK(run.offset == 626);

  CheckEverySplit(Config(23999), request, input, run);
}

TEST_CASE("the scripted master of replica70-vs-fake-master-v10-disk-and-continue") {
  SUBCASE("session 1: full resync, same handshake bytes and GETACK answer as a 7.0 replica") {
    const std::string_view input = testdata::kFakeMasterDiskAndContinueSession1;
    const Run run = DriveWhole(Config(23811), {}, input);
    const std::string_view handshake = testdata::kFakeMasterDiskAndContinueSession1Handshake;
    CHECK(run.output.substr(0, handshake.size()) == handshake);
    // Our ACK right after the RDB, then the real replica's GETACK answer (176).
    CHECK(run.output.substr(handshake.size()) == Ack(0) + Ack(176));
    std::vector<Recorded> expected = {SyncEvent(LinkEventKind::kFullResync, kIdB, 0),
                                      SyncEvent(LinkEventKind::kSyncComplete, kIdB, 0)};
    const int64_t ends[] = {54, 108, 176, 267, 321, 375};
    for (int i = 0; i < 6; ++i) {
      expected.push_back(
          PublishEvent("news", "from-fake-master-1-" + std::to_string(i + 1), ends[i]));
    }
    CHECK(run.events == expected);
    // The real replica reconnected with PSYNC <id> 376.
    CHECK(run.offset == 375);
    CheckEverySplit(Config(23811), {}, input, run);
  }
  SUBCASE("session 2: +CONTINUE from 376, same PSYNC bytes and GETACK answer (551)") {
    const std::string_view input = testdata::kFakeMasterDiskAndContinueSession2;
    const PsyncRequest request{std::string(kIdB), 375};
    const Run run = DriveWhole(Config(23811), request, input);
    CHECK(run.output ==
          std::string(testdata::kFakeMasterDiskAndContinueSession2Handshake) + Ack(551));
    std::vector<Recorded> expected = {SyncEvent(LinkEventKind::kContinue, kIdB, 375)};
    const int64_t ends[] = {429, 483, 551, 642, 696, 750};
    for (int i = 0; i < 6; ++i) {
      expected.push_back(
          PublishEvent("news", "from-fake-master-2-" + std::to_string(i + 1), ends[i]));
    }
    CHECK(run.events == expected);
    CHECK(run.offset == 750);  // the scripted master's "final offset 750"
    CheckEverySplit(Config(23811), request, input, run);
  }
}

TEST_CASE("the scripted master's $EOF transfer (replica70-vs-fake-master-v10-eof)") {
  const std::string_view input = testdata::kFakeMasterEofSession1;
  const Run run = DriveWhole(Config(23813), {}, input);
  const std::string_view handshake = testdata::kFakeMasterEofSession1Handshake;
  CHECK(run.output.substr(0, handshake.size()) == handshake);
  // A real 7.0 replica also sent ACK 0 right after an $EOF RDB.
  CHECK(run.output.substr(handshake.size()) == Ack(0) + Ack(176));
  CHECK(run.events.size() == 2 + 3);
  CHECK(run.offset == 213);
  CheckEverySplit(Config(23813), {}, input, run);
}

TEST_CASE("stream bytes glued after the EOF mark are the stream (a 7.0 replica hangs here)") {
  const std::string_view input = testdata::kFakeMasterEofGluedSession1;
  const Run run = DriveWhole(Config(23813), {}, input);
  REQUIRE(run.events.size() == 2 + 4);
  CHECK(run.events[1] == SyncEvent(LinkEventKind::kSyncComplete, kIdB, 0));
  CHECK(run.events[2] == PublishEvent("news", "glued", 38));
  CHECK(run.offset == 251);  // the scripted master's "final offset 251"
  CHECK(run.output.ends_with(Ack(0) + Ack(214)));
  CheckEverySplit(Config(23813), {}, input, run);
}

TEST_CASE("an RDB v3 payload is discarded like any other (replica70-vs-fake-master-rdb-v3)") {
  const std::string_view input = testdata::kFakeMasterRdbV3Session1;
  const Run run = DriveWhole(Config(23813), {}, input);
  CHECK(run.events.size() == 2 + 3);
  CHECK(run.offset == 213);
  CheckEverySplit(Config(23813), {}, input, run);
}

TEST_CASE("the RDB is not validated: a truncated v10 RDB still completes the sync") {
  // A 7.0 replica exits on this RDB; herald never loads the RDB, so it only counts bytes.
  const Run run = DriveWhole(Config(23813), {}, testdata::kFakeMasterTruncatedRdbSession1);
  REQUIRE(run.events.size() == 2);
  CHECK(run.events[1] == SyncEvent(LinkEventKind::kSyncComplete, kIdB, 0));
  CHECK(run.state == LinkState::kStreaming);
}

// A small driver for the step-by-step tests below.
struct Harness {
  explicit Harness(ReplicaLinkConfig config = Config(7000), const PsyncRequest& request = {})
      : link(std::move(config)) {
    link.Start(request, 0);
    sent = link.output();
    link.ClearOutput();
  }
  // Feeds `bytes` after what is left over and returns what the link sent in response.
  std::string Feed(std::string_view bytes, int64_t now = 1) {
    buffer += bytes;
    last = link.Feed(buffer, now);
    events.clear();
    for (const LinkEvent& e : last.events) {
      Recorded rec;
      rec.kind = e.kind;
      rec.channel = e.channel;
      rec.message = e.message;
      rec.raw = e.raw;
      rec.sharded = e.sharded;
      rec.replid = e.replid;
      rec.replid_changed = e.replid_changed;
      rec.offset = e.offset;
      rec.error = e.error;
      rec.text = e.text;
      events.push_back(rec);
    }
    stream = std::string(last.stream);
    buffer.erase(0, last.consumed);
    std::string out(link.output());
    link.ClearOutput();
    return out;
  }
  // Runs the handshake up to streaming with +FULLRESYNC <kIdB> `offset` and an empty RDB.
  void Sync(int64_t offset = 0) {
    Feed("+PONG\r\n+OK\r\n+OK\r\n");
    Feed(FormatFullResync(kIdB, offset) + std::string(EmptyRdbPayload()));
  }

  ReplicaLink link;
  std::string sent;
  std::string buffer;
  FeedResult last;
  std::vector<Recorded> events;
  std::string stream;
};

TEST_CASE("the handshake is pipelined like Redis 7.0's syncWithMaster") {
  SUBCASE("no auth: PING, then port + capa, PSYNC only after the capa reply") {
    Harness h;
    CHECK(h.sent == kPing);
    CHECK(h.link.state() == LinkState::kAwaitPong);
    CHECK(h.link.RoleStateName() == "handshake");
    CHECK(h.Feed("+PONG\r\n") == Port(7000) + kCapa);
    CHECK(h.link.state() == LinkState::kAwaitPortReply);
    CHECK(h.Feed("+OK\r\n").empty());
    CHECK(h.link.state() == LinkState::kAwaitCapaReply);
    CHECK(h.Feed("+OK\r\n") == kPsyncFresh);
    CHECK(h.link.state() == LinkState::kAwaitPsyncReply);
  }
  SUBCASE("masterauth, masteruser and replica-announce-ip: four replies before PSYNC") {
    ReplicaLinkConfig config = Config(24103);
    config.master_user = "u";
    config.master_auth = "pw";
    config.announce_ip = "10.1.2.3";
    Harness h(config, {std::string(kIdA), 99});
    // Byte for byte what redis-server 7.0.15 sent with the same settings.
    CHECK(h.Feed("+PONG\r\n") ==
          "*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$2\r\npw\r\n" + Port(24103) +
              "*3\r\n$8\r\nREPLCONF\r\n$10\r\nip-address\r\n$8\r\n10.1.2.3\r\n" + kCapa);
    CHECK(h.link.state() == LinkState::kAwaitAuthReply);
    CHECK(h.Feed("+OK\r\n+OK\r\n+OK\r\n").empty());
    CHECK(h.link.state() == LinkState::kAwaitCapaReply);
    CHECK(h.Feed("+OK\r\n") == Cmd({"PSYNC", kIdA, "100"}));
  }
  SUBCASE("masterauth alone sends AUTH <password>; masteruser alone sends nothing") {
    ReplicaLinkConfig config = Config(1);
    config.master_auth = "secret";
    Harness h(config);
    CHECK(h.Feed("+PONG\r\n").starts_with(Cmd({"AUTH", "secret"}) + Port(1)));
    ReplicaLinkConfig user_only = Config(1);
    user_only.master_user = "u";
    Harness g(user_only);
    CHECK(g.Feed("+PONG\r\n") == Port(1) + kCapa);
  }
  SUBCASE("all replies in one read") {
    Harness h;
    CHECK(h.Feed("+PONG\r\n+OK\r\n+OK\r\n") == Port(7000) + kCapa + kPsyncFresh);
  }
}

TEST_CASE("PING replies: the three tolerated errors continue, others fail") {
  for (std::string_view reply :
       {"-NOAUTH Authentication required."sv, "-NOPERM this user has no permissions"sv,
        "-ERR operation not permitted"sv, "+anything"sv}) {
    Harness h;
    CHECK(h.Feed(std::string(reply) + "\r\n") == Port(7000) + kCapa);
  }
  for (std::string_view reply : {"-ERR unknown command"sv, ""sv, ":1"sv}) {
    Harness h;
    CHECK(h.Feed(std::string(reply) + "\r\n").empty());
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0] ==
          ErrorEvent(LinkEventKind::kError, LinkError::kPingRejected, std::string(reply)));
    CHECK(h.link.state() == LinkState::kClosed);
    CHECK(h.link.last_error() == reply);
  }
}

TEST_CASE("an AUTH error is fatal, REPLCONF errors are not") {
  ReplicaLinkConfig config = Config(7000);
  config.master_auth = "bad";
  Harness h(config);
  h.Feed("+PONG\r\n");
  h.Feed("-WRONGPASS invalid username-password pair\r\n");
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0].error == LinkError::kAuthRejected);
  CHECK(h.link.state() == LinkState::kClosed);

  Harness g;
  g.Feed("+PONG\r\n");
  CHECK(g.Feed("-ERR unknown option\r\n-ERR what capa\r\n") == kPsyncFresh);
  CHECK(g.events.empty());
}

TEST_CASE("PSYNC replies") {
  SUBCASE("+CONTINUE without an ID keeps ours") {
    Harness h(Config(1), {std::string(kIdA), 10});
    h.Feed("+PONG\r\n+OK\r\n+OK\r\n");
    h.Feed("+CONTINUE\r\n");
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0] == SyncEvent(LinkEventKind::kContinue, kIdA, 10));
    CHECK(h.link.state() == LinkState::kStreaming);
    CHECK(h.link.link_up());
    CHECK(h.link.RoleStateName() == "connected");
  }
  SUBCASE("+CONTINUE with a new ID reports the change") {
    Harness h(Config(1), {std::string(kIdA), 10});
    h.Feed("+PONG\r\n+OK\r\n+OK\r\n");
    h.Feed("+CONTINUE " + std::string(kIdB) + "\r\n");
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0] == SyncEvent(LinkEventKind::kContinue, kIdB, 10, true));
    CHECK(h.link.master_replid() == kIdB);
  }
  SUBCASE("+CONTINUE with an ID of another length is taken as no ID") {
    Harness h(Config(1), {std::string(kIdA), 10});
    h.Feed("+PONG\r\n+OK\r\n+OK\r\n");
    h.Feed("+CONTINUE abc\r\n");
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0] == SyncEvent(LinkEventKind::kContinue, kIdA, 10));
  }
  SUBCASE("+CONTINUE to PSYNC ? -1 is an error") {
    Harness h;
    h.Feed("+PONG\r\n+OK\r\n+OK\r\n");
    h.Feed("+CONTINUE\r\n");
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].error == LinkError::kPsyncRejected);
  }
  SUBCASE("-NOMASTERLINK and -LOADING mean retry later") {
    for (std::string_view reply : {"-NOMASTERLINK Can't SYNC while not connected with my master"sv,
                                   "-LOADING Redis is loading the dataset in memory"sv}) {
      Harness h;
      h.Feed("+PONG\r\n+OK\r\n+OK\r\n");
      h.Feed(std::string(reply) + "\r\n");
      REQUIRE(h.events.size() == 1);
      CHECK(h.events[0] ==
            ErrorEvent(LinkEventKind::kRetryLater, LinkError::kRetryLater, std::string(reply)));
      CHECK(h.link.state() == LinkState::kClosed);
    }
  }
  SUBCASE("other errors fail the link instead of falling back to SYNC") {
    Harness h;
    h.Feed("+PONG\r\n+OK\r\n+OK\r\n");
    CHECK(h.Feed("-ERR SYNC and PSYNC are invalid with pending output\r\n").empty());
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0] == ErrorEvent(LinkEventKind::kError, LinkError::kPsyncRejected,
                                    "-ERR SYNC and PSYNC are invalid with pending output"));
  }
  SUBCASE("empty lines before the reply are keepalives") {
    Harness h;
    h.Feed("+PONG\r\n+OK\r\n+OK\r\n");
    h.Feed("\n\n\r\n\n");
    CHECK(h.events.empty());
    CHECK(h.link.state() == LinkState::kAwaitPsyncReply);
    h.Feed(FormatFullResync(kIdB, 5));
    CHECK(h.link.state() == LinkState::kAwaitRdbHeader);
    CHECK(h.link.sync_in_progress());
    CHECK(h.link.RoleStateName() == "sync");
  }
  SUBCASE("a malformed +FULLRESYNC still syncs, with no replid") {
    for (std::string_view line : {"+FULLRESYNC"sv, "+FULLRESYNC abc 5"sv,
                                  "+FULLRESYNC fb5a503ef1f6696cece532d672d52b855b46fa99 x5"sv}) {
      Harness h;
      h.Feed("+PONG\r\n+OK\r\n+OK\r\n");
      h.Feed(std::string(line) + "\r\n$0\r\n");
      REQUIRE(h.events.size() == 2);
      CHECK(h.events[0] == SyncEvent(LinkEventKind::kFullResync, "", 0));
      CHECK(h.events[1] == SyncEvent(LinkEventKind::kSyncComplete, "", 0));
    }
  }
}

TEST_CASE("RDB headers") {
  const auto after_fullresync = [](std::string_view bytes) {
    auto h = std::make_unique<Harness>();
    h->Feed("+PONG\r\n+OK\r\n+OK\r\n" + FormatFullResync(kIdB, 7));
    h->Feed(bytes);
    return h;
  };
  SUBCASE("keepalives before the header are skipped") {
    auto h = after_fullresync("\n\n\n$0\r\n");
    REQUIRE(h->events.size() == 1);
    CHECK(h->events[0] == SyncEvent(LinkEventKind::kSyncComplete, kIdB, 7));
  }
  SUBCASE("$0 completes at once and ACKs") {
    Harness h;
    h.Feed("+PONG\r\n+OK\r\n+OK\r\n");
    CHECK(h.Feed(FormatFullResync(kIdB, 7) + "$0\r\n") == Ack(7));
  }
  SUBCASE("an error line aborts") {
    auto h = after_fullresync("-ERR BGSAVE failed\r\n");
    REQUIRE(h->events.size() == 1);
    CHECK(h->events[0] ==
          ErrorEvent(LinkEventKind::kError, LinkError::kMasterAborted, "-ERR BGSAVE failed"));
  }
  for (std::string_view bad : {"+OK"sv, "$-1"sv, "$abc"sv, "$"sv, "$EOF:short"sv, "$ 5"sv}) {
    CAPTURE(bad);
    auto h = after_fullresync(std::string(bad) + "\r\n");
    REQUIRE(h->events.size() == 1);
    CHECK(h->events[0].error == LinkError::kBadRdbHeader);
    CHECK(h->link.state() == LinkState::kClosed);
  }
  SUBCASE("progress is reported while the RDB arrives") {
    auto h = after_fullresync("$10\r\nabcd");
    CHECK(h->link.state() == LinkState::kRdbBulk);
    CHECK(h->link.rdb_size() == 10);
    CHECK(h->link.rdb_read() == 4);
    // RDB bytes are consumed as they come: nothing of them stays buffered.
    CHECK(h->buffer.empty());
  }
  SUBCASE("$EOF with more than 40 bytes uses the first 40") {
    const std::string mark(40, 'm');
    auto h = after_fullresync("$EOF:" + mark + "extra\r\nRDB" + mark);
    REQUIRE(h->events.size() == 1);
    CHECK(h->events[0].kind == LinkEventKind::kSyncComplete);
    CHECK(h->link.rdb_size() == -1);
  }
}

TEST_CASE("the EOF mark is found across reads and among look-alike bytes") {
  const std::string mark = "0123456789abcdef0123456789abcdef01234567";
  // An RDB that contains every proper prefix of the mark, then the mark, then stream bytes.
  std::string rdb = "REDIS0010";
  for (size_t n = 1; n < mark.size(); ++n) rdb += mark.substr(0, n) + "|";
  rdb += mark.substr(0, 39);  // a near miss that overlaps the real mark following it
  const std::string input = "+PONG\r\n+OK\r\n+OK\r\n" + FormatFullResync(kIdB, 100) +
                            "$EOF:" + mark + "\r\n" + rdb + mark + Publish("ch", "after-mark");
  const Run run = DriveWhole(Config(1), {}, input);
  const auto end = static_cast<int64_t>(100 + Publish("ch", "after-mark").size());
  REQUIRE(run.events.size() == 3);
  CHECK(run.events[2] == PublishEvent("ch", "after-mark", end));
  CHECK(run.offset == end);
  CheckEverySplit(Config(1), {}, input, run);
}

TEST_CASE("the EOF scan keeps at most 39 bytes however the RDB is split") {
  Harness h;
  const std::string mark(40, 'z');
  h.Feed("+PONG\r\n+OK\r\n+OK\r\n" + FormatFullResync(kIdB, 0) + "$EOF:" + mark + "\r\n");
  for (int i = 0; i < 1000; ++i) {
    h.Feed(std::string(1 + i % 57, static_cast<char>('a' + i % 3)));
    REQUIRE(h.buffer.empty());
  }
  CHECK(h.link.state() == LinkState::kRdbEofMark);
  CHECK(h.link.rdb_read() > 0);
  h.Feed(std::string(39, 'z'));
  CHECK(h.link.state() == LinkState::kRdbEofMark);
  CHECK(h.Feed("z") == Ack(0));
  CHECK(h.link.state() == LinkState::kStreaming);
}

TEST_CASE("stream commands") {
  Harness h;
  h.Sync(1000);
  REQUIRE(h.link.state() == LinkState::kStreaming);

  SUBCASE("publish and spublish are matched case-insensitively, with exactly two arguments") {
    const std::string first = Cmd({"PuBlIsH", "a", "1"});
    const std::string second = Cmd({"SPUBLISH", "b", "2"});
    const std::string input = first + second + Cmd({"publish", "c"}) +
                              Cmd({"publish", "d", "4", "extra"}) + Cmd({"publishx", "e", "5"});
    h.Feed(input);
    REQUIRE(h.events.size() == 2);
    const auto first_end = static_cast<int64_t>(1000 + first.size());
    CHECK(h.events[0] == PublishEvent("a", "1", first_end, false, "PuBlIsH"));
    CHECK(h.events[1] == PublishEvent("b", "2", first_end + static_cast<int64_t>(second.size()),
                                      true, "SPUBLISH"));
    CHECK(h.link.offset() == 1000 + static_cast<int64_t>(input.size()));
    CHECK(h.stream == input);
  }
  SUBCASE("binary-safe channel and payload") {
    const std::string payload("a\0b\r\nc", 6);
    h.Feed(Publish("bin\r\n", payload));
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].channel == "bin\r\n");
    CHECK(h.events[0].message == payload);
  }
  SUBCASE("everything else is counted and forwarded, not acted on") {
    const std::string input = Cmd({"SELECT", "0"}) + Cmd({"set", "k", "v"}) + Cmd({"MULTI"}) +
                              Publish("in-multi", "x") + Cmd({"EXEC"}) + Cmd({"ping"}) + "*0\r\n" +
                              "\r\n" + Cmd({"REPLCONF", "ACK", "5"});
    CHECK(h.Feed(input).empty());
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].channel == "in-multi");
    CHECK(h.stream == input);
    CHECK(h.link.offset() == 1000 + static_cast<int64_t>(input.size()));
  }
  SUBCASE("GETACK is answered with the offset before it") {
    const std::string pub = Publish("news", "x");
    CHECK(h.Feed(pub + kGetAck + pub + kGetAck) == Ack(1000 + 34) + Ack(1000 + 34 + 37 + 34));
    CHECK(h.Feed(Cmd({"replconf", "getack", "anything"})) == Ack(1000 + 34 + 37 + 34 + 37));
    // REPLCONF with an even argument count is a syntax error in Redis: no answer.
    CHECK(h.Feed(Cmd({"REPLCONF", "GETACK"})).empty());
  }
  SUBCASE("inline commands are parsed like Redis does, quoted arguments included") {
    h.Feed("publish \"a b\" 'c\\'d'\r\n");
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].channel == "a b");
    CHECK(h.events[0].message == "c'd");
    CHECK(h.events[0].raw == "publish \"a b\" 'c\\'d'\r\n");
    CHECK(h.Feed("REPLCONF GETACK *\n") == Ack(1000 + 22));
  }
  SUBCASE("an incomplete command stays with the caller and is not counted") {
    const std::string pub = Publish("news", "hello");
    h.Feed(pub.substr(0, 20));
    CHECK(h.last.consumed == 0);
    CHECK(h.stream.empty());
    CHECK(h.link.offset() == 1000);
    CHECK(h.buffer == pub.substr(0, 20));
    h.Feed(pub.substr(20));
    CHECK(h.buffer.empty());
    CHECK(h.link.offset() == 1000 + static_cast<int64_t>(pub.size()));
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].message == "hello");
  }
  SUBCASE("a protocol error closes the link after the commands before it") {
    const std::string good = Publish("ok", "1");
    h.Feed(good + "*1\r\nx\r\n");
    REQUIRE(h.events.size() == 2);
    CHECK(h.events[0].channel == "ok");
    CHECK(h.events[1] == ErrorEvent(LinkEventKind::kError, LinkError::kProtocol,
                                    "Protocol error: expected '$', got 'x'"));
    CHECK(h.stream == good);
    CHECK(h.last.consumed == good.size());
    CHECK(h.link.state() == LinkState::kClosed);
    CHECK(h.link.offset() == 1000 + static_cast<int64_t>(good.size()));
  }
  SUBCASE("Ack() reports the offset only while streaming") {
    CHECK(h.link.Ack());
    CHECK(h.link.output() == Ack(1000));
  }
}

TEST_CASE("a stream command above max_command_bytes fails the link") {
  ReplicaLinkConfig config = Config(1);
  config.max_command_bytes = 100;
  Harness h(config);
  h.Sync();
  h.Feed(Publish("ch", std::string(80, 'x')));
  CHECK(h.events.size() == 1);
  const std::string big = Publish("ch", std::string(200, 'x'));
  h.Feed(big.substr(0, 100));
  CHECK(h.events.empty());
  CHECK(h.buffer.size() == 100);
  h.Feed(big.substr(100, 1));
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0].error == LinkError::kCommandTooBig);
  CHECK(h.link.state() == LinkState::kClosed);
}

TEST_CASE("reply lines are bounded") {
  Harness h;
  h.Feed(std::string(ReplicaLink::kMaxLineLength, '+'));
  CHECK(h.events.empty());
  h.Feed("\r");
  CHECK(h.events.empty());
  h.Feed("x");
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0].error == LinkError::kLineTooLong);

  Harness g;
  CHECK(g.Feed(std::string(ReplicaLink::kMaxLineLength, '+') + "\r\n") == Port(7000) + kCapa);
}

TEST_CASE("timeouts are reported per phase and refreshed by every read") {
  ReplicaLinkConfig config = Config(1);
  config.timeout_ms = 1000;
  {
    ReplicaLink link(config);
    CHECK(link.Tick(1'000'000) == LinkError::kNone);  // not started
    link.Start({}, 0);
    CHECK(link.Tick(1000) == LinkError::kNone);
    link.Feed("", 900);
    CHECK(link.last_io_ms() == 900);
    CHECK(link.Tick(1900) == LinkError::kNone);
    CHECK(link.Tick(1901) == LinkError::kTimeout);
    CHECK(link.state() == LinkState::kClosed);
    CHECK(link.last_error() == "Timeout connecting to the MASTER");
  }
  {
    Harness h(config);
    h.Feed("+PONG\r\n+OK\r\n+OK\r\n" + FormatFullResync(kIdB, 0) + "$100\r\n", 5000);
    CHECK(h.link.Tick(6001) == LinkError::kTimeout);
    CHECK(h.link.last_error() == "Timeout receiving bulk data from MASTER");
  }
  {
    Harness h(config);
    h.Sync();
    CHECK(h.link.Tick(1001) == LinkError::kNone);
    CHECK(h.link.Tick(1002) == LinkError::kTimeout);
    CHECK(h.link.last_error() == "MASTER timeout: no data nor PING received");
    CHECK_FALSE(h.link.Ack());
  }
}

TEST_CASE("Close, Feed after close, and Start again") {
  Harness h(Config(1), {std::string(kIdA), 41});
  h.Sync(500);
  h.Feed(Publish("a", "b"));
  const int64_t offset = h.link.offset();
  h.link.Close();
  CHECK(h.link.state() == LinkState::kClosed);
  CHECK(h.link.RoleStateName() == "connect");
  CHECK_FALSE(h.link.link_up());
  CHECK(h.link.offset() == offset);
  CHECK(h.Feed(Publish("c", "d")).empty());
  CHECK(h.last.consumed == 0);
  CHECK(h.events.empty());

  h.link.Start({std::string(kIdB), offset}, 10);
  CHECK(h.link.output() == kPing);
  CHECK(h.link.state() == LinkState::kAwaitPong);
  CHECK(h.link.master_replid() == kIdB);
}

TEST_CASE("Feed before Start does nothing") {
  ReplicaLink link(Config(1));
  const FeedResult r = link.Feed("+PONG\r\n", 0);
  CHECK(r.consumed == 0);
  CHECK(r.events.empty());
  CHECK(link.output().empty());
  CHECK(link.state() == LinkState::kIdle);
  CHECK_FALSE(link.Ack());
}

}  // namespace
}  // namespace herald::repl
