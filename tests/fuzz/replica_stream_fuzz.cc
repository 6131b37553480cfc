// libFuzzer target for the replica side of a replication link (replication/replica_link.h).
//
// Input: byte 0 picks the mode, the rest is what "the master" sends.
//   bit 0    0: start from the initial state, so the fuzzer drives the handshake, PSYNC reply
//               and RDB framing too; 1: after a synthetic handshake (+PONG +OK +OK +CONTINUE),
//               so every byte is command stream.
//   bit 1    in mode 0, PSYNC with a known replid (so +CONTINUE is valid) instead of `? -1`.
//   bits 2-7 seed of the chunking: the master bytes are cut into chunks whose sizes come from a
//            small PRNG, so one input is replayed across many read boundaries (uWS makeChunked)
//            while its bytes stay contiguous, which keeps seeds built from captures meaningful.
//
// Invariants checked after every Feed(), aborting on violation:
//   - consumed <= the bytes offered, and the stream view is the tail of the consumed bytes;
//   - a PUBLISH event's raw bytes lie inside that stream view;
//   - while streaming, offset() grows by exactly the stream bytes (from the sync event's offset
//     when one happened in the call), so it never goes backwards within a sync;
//   - memory is bounded: what stays unconsumed is less than one reply line or one stream command
//     (max_command_bytes), and nothing stays in RDB states;
//   - a closed link consumes nothing and reports nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "replication/replica_link.h"
#include "tests/fuzz/fuzz_helpers.h"

namespace herald::fuzz {
namespace {

using herald::repl::FeedResult;
using herald::repl::LinkEvent;
using herald::repl::LinkEventKind;
using herald::repl::LinkState;
using herald::repl::PsyncRequest;
using herald::repl::ReplicaLink;
using herald::repl::ReplicaLinkConfig;

// Small enough that the fuzzer reaches the limit; the bound below depends on it.
constexpr size_t kMaxCommandBytes = 4096;
constexpr std::string_view kReplid = "fb5a503ef1f6696cece532d672d52b855b46fa99";

// xorshift32: deterministic chunk sizes from the mode byte.
uint32_t Next(uint32_t* state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

// Feeds one chunk the way the server does and checks the contract.
void FeedChecked(ReplicaLink& link, std::string& buffer, std::string_view chunk, int64_t now) {
  buffer.append(chunk);
  const LinkState state_before = link.state();
  const int64_t offset_before = link.offset();
  const FeedResult r = link.Feed(buffer, now);

  Check(r.consumed <= buffer.size());
  const std::string_view consumed(buffer.data(), r.consumed);
  if (state_before == LinkState::kClosed) Check(r.consumed == 0 && r.events.empty());
  if (!r.stream.empty()) {
    Check(Inside(r.stream, consumed));
    Check(r.stream.data() + r.stream.size() == consumed.data() + consumed.size());
  }
  bool streaming = state_before == LinkState::kStreaming;
  int64_t base = offset_before;
  for (const LinkEvent& e : r.events) {
    if (e.kind == LinkEventKind::kPublish) Check(Inside(e.raw, r.stream));
    if (e.kind == LinkEventKind::kSyncComplete || e.kind == LinkEventKind::kContinue) {
      streaming = true;
      base = e.offset;
    }
  }
  if (streaming) {
    Check(link.offset() == base + static_cast<int64_t>(r.stream.size()));
    Check(link.offset() >= base);
  }

  buffer.erase(0, r.consumed);
  // Bounded memory: a partial reply line, a partial stream command, or nothing.
  switch (link.state()) {
    case LinkState::kStreaming:
      Check(buffer.size() <= kMaxCommandBytes);
      break;
    case LinkState::kRdbBulk:
    case LinkState::kRdbEofMark:
      Check(buffer.empty());
      break;
    case LinkState::kClosed:
    case LinkState::kIdle:
      break;
    default:
      Check(buffer.size() < ReplicaLink::kMaxLineLength + 2);
      break;
  }
  // A closed link's buffer is dropped by the server with the connection.
  if (link.state() == LinkState::kClosed) buffer.clear();
  link.ClearOutput();
}

// The mode byte (see the top of the file), then what the master sends.
void TestOneInput(uint8_t mode, std::string_view master) {
  ReplicaLinkConfig config;
  config.listening_port = 6380;
  config.max_command_bytes = kMaxCommandBytes;
  config.timeout_ms = 1000;
  ReplicaLink link(config);
  std::string buffer;
  int64_t now = 0;

  const bool synthetic = (mode & 1) != 0;
  PsyncRequest request;
  if (synthetic || (mode & 2) != 0) request = {std::string(kReplid), 1000};
  link.Start(request, now);
  Check(link.output().size() > 0);
  link.ClearOutput();
  if (synthetic) {
    FeedChecked(link, buffer, "+PONG\r\n+OK\r\n+OK\r\n+CONTINUE\r\n", ++now);
    Check(link.state() == LinkState::kStreaming && link.offset() == 1000);
  }

  uint32_t rng = 0x9e3779b9u ^ (static_cast<uint32_t>(mode >> 2) * 0x01000193u);
  // Half the seeds use tiny chunks (every boundary matters), half larger ones.
  const uint32_t max_chunk = (mode & 4) != 0 ? 8 : 512;
  const auto next_chunk = [&]() -> size_t { return 1 + Next(&rng) % max_chunk; };
  FeedInChunks(master, next_chunk, [&](std::string_view chunk) {
    FeedChecked(link, buffer, chunk, ++now);
    // Exercise the periodic calls too; they must never disturb the invariants.
    if ((Next(&rng) & 15) == 0) {
      const bool acked = link.Ack();
      Check(acked == (link.state() == LinkState::kStreaming));
      link.ClearOutput();
    }
    return true;
  });
  // Nothing arrives for longer than the timeout: any waiting link must report it.
  const LinkState final_state = link.state();
  const auto timeout = link.Tick(now + 1001);
  Check((timeout == herald::repl::LinkError::kTimeout) ==
        (final_state != LinkState::kClosed && final_state != LinkState::kIdle));
}

}  // namespace
}  // namespace herald::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return herald::fuzz::RunWithConfigByte(data, size, herald::fuzz::TestOneInput);
}
