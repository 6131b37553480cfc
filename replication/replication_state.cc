#include "replication/replication_state.h"

#include <fmt/format.h>

#include <array>
#include <random>
#include <utility>

#include "protocol/numbers.h"
#include "replication/rdb_sniffer.h"

namespace herald::repl {
namespace {

// The Jones polynomial bit-reversed, for the reflected (LSB-first) table algorithm.
constexpr uint64_t kCrc64ReflectedPoly = 0x95ac9329ac4bc9b5ULL;

constexpr std::array<uint64_t, 256> MakeCrc64Table() {
  std::array<uint64_t, 256> table{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t crc = i;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) != 0 ? (crc >> 1) ^ kCrc64ReflectedPoly : crc >> 1;
    }
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint64_t, 256> kCrc64Table = MakeCrc64Table();

constexpr uint64_t Crc64Constexpr(uint64_t crc, std::string_view data) {
  for (char c : data) {
    crc = kCrc64Table[(crc ^ static_cast<uint8_t>(c)) & 0xff] ^ (crc >> 8);
  }
  return crc;
}

// The catalogue check value proves the table at compile time, not only in the tests.
static_assert(Crc64Constexpr(0, "123456789") == 0xe9c6d914c4b8d9caULL);

constexpr std::string_view kRdbHeaderAndEof = "REDIS0010\xff";
constexpr size_t kEmptyRdbSize = 18;
constexpr std::string_view kEmptyRdbFraming = "$18\r\n";

// `$18\r\n` + "REDIS0010" + 0xFF + CRC64 little-endian, built at compile time so that the bytes
// a master sends are derived from the checksum code rather than pasted in.
constexpr std::array<char, 5 + kEmptyRdbSize> MakeEmptyRdbPayload() {
  std::array<char, 5 + kEmptyRdbSize> out{};
  size_t n = 0;
  for (char c : kEmptyRdbFraming) out[n++] = c;
  for (char c : kRdbHeaderAndEof) out[n++] = c;
  const uint64_t crc = Crc64Constexpr(0, kRdbHeaderAndEof);
  for (int i = 0; i < 8; ++i) out[n++] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return out;
}

constexpr std::array<char, 5 + kEmptyRdbSize> kEmptyRdbPayload = MakeEmptyRdbPayload();

// Redis shows "no replid2" as forty zeros (INFO's master_replid2).
std::string NoReplid2() { return std::string(kReplIdLength, '0'); }

}  // namespace

uint64_t Crc64(uint64_t crc, std::string_view data) { return Crc64Constexpr(crc, data); }

std::string_view EmptyRdbPayload() { return {kEmptyRdbPayload.data(), kEmptyRdbPayload.size()}; }

std::string_view UpstreamDataRdbPayload() {
  static const std::string payload = [] {
    std::string rdb(kRdbHeaderAndEof.substr(0, kRdbHeaderAndEof.size() - 1));  // "REDIS0010"
    rdb += '\xfa';  // aux field: two strings of 6-bit lengths
    rdb += static_cast<char>(kUpstreamDataAux.size());
    rdb += kUpstreamDataAux;
    rdb += '\x01';
    rdb += '1';
    rdb += '\xff';
    const uint64_t crc = Crc64(0, rdb);
    for (int i = 0; i < 8; ++i) rdb += static_cast<char>((crc >> (8 * i)) & 0xff);
    return fmt::format("${}\r\n{}", rdb.size(), rdb);
  }();
  return payload;
}

std::string_view EmptyRdb() { return EmptyRdbPayload().substr(kEmptyRdbFraming.size()); }

// std::random_device rather than a seeded PRNG: IDs from two nodes started in the same
// microsecond must still differ, since equal IDs would let a replica PSYNC into a foreign history.
std::string GenerateReplicationId() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::string id;
  id.reserve(kReplIdLength);
  // 160 random bits, as many as Redis's SHA1-based IDs carry.
  for (size_t i = 0; i < kReplIdLength / 8; ++i) {
    uint32_t word = device();
    for (int nibble = 0; nibble < 8; ++nibble) {
      id.push_back(kHex[word & 0xf]);
      word >>= 4;
    }
  }
  return id;
}

ReplicationState::ReplicationState() : ReplicationState(GenerateReplicationId()) {}

ReplicationState::ReplicationState(std::string replid)
    : replid_(std::move(replid)), replid2_(NoReplid2()) {}

void ReplicationState::ShiftReplicationId(int64_t master_repl_offset) {
  ShiftReplicationId(master_repl_offset, GenerateReplicationId());
}

void ReplicationState::ShiftReplicationId(int64_t master_repl_offset, std::string new_replid) {
  replid2_ = std::move(replid_);
  // +1: replicas PSYNC with the first offset they lack, and one that has everything of the old
  // history asks for exactly master_repl_offset + 1.
  second_repl_offset_ = master_repl_offset + 1;
  replid_ = std::move(new_replid);
}

// replid2 is cleared because the node's old history was replaced wholesale by the RDB: nothing of
// it can be continued any more.
void ReplicationState::AdoptMasterId(std::string master_replid) {
  replid_ = std::move(master_replid);
  replid2_ = NoReplid2();
  second_repl_offset_ = -1;
}

bool ReplicationState::AdoptContinueId(std::string_view master_replid, int64_t master_repl_offset) {
  if (master_replid == replid_) return false;
  ShiftReplicationId(master_repl_offset, std::string(master_replid));
  return true;
}

void ReplicationState::ChangeReplicationId() {
  replid_ = GenerateReplicationId();
  replid2_ = NoReplid2();
  second_repl_offset_ = -1;
}

PsyncDecision DecidePsync(std::string_view replid_arg, std::string_view offset_arg,
                          const ReplicationState& state, const Backlog& backlog) {
  // Redis 7.0 parses the offset before looking at the ID and answers a bad one with an error
  // reply, without syncing (observed: `PSYNC ? abc` -> -ERR value is not an integer ...).
  int64_t psync_offset = 0;
  if (!protocol::ParseInt64(offset_arg, &psync_offset)) {
    return {PsyncOutcome::kBadOffset, PsyncReason::kBadOffset, 0};
  }
  const PsyncDecision full{PsyncOutcome::kFullResync, PsyncReason::kAccepted,
                           backlog.master_repl_offset()};
  // Redis compares IDs with strcasecmp (observed: an upper-cased replid still gets +CONTINUE).
  const bool is_replid = protocol::EqualsIgnoreCase(replid_arg, state.replid());
  const bool is_replid2 = protocol::EqualsIgnoreCase(replid_arg, state.replid2());
  if (!is_replid && (!is_replid2 || psync_offset > state.second_repl_offset())) {
    PsyncDecision d = full;
    if (replid_arg == "?") {
      d.reason = PsyncReason::kFullResyncRequested;
    } else if (is_replid2) {
      d.reason = PsyncReason::kSecondIdOffsetTooBig;
    } else {
      d.reason = PsyncReason::kReplidMismatch;
    }
    return d;
  }
  // A matching ID is not enough: the bytes must still be in the backlog. An offset past our own
  // (a replica that saw a history we lost) lands here too, and a full resync realigns it.
  if (!backlog.CanServe(psync_offset)) {
    PsyncDecision d = full;
    d.reason = PsyncReason::kNotInBacklog;
    return d;
  }
  return {PsyncOutcome::kContinue, PsyncReason::kAccepted, psync_offset};
}

std::string FormatFullResync(std::string_view replid, int64_t offset) {
  return fmt::format("+FULLRESYNC {} {}\r\n", replid, offset);
}

std::string FormatContinue(std::string_view replid, bool psync2) {
  return psync2 ? fmt::format("+CONTINUE {}\r\n", replid) : std::string("+CONTINUE\r\n");
}

}  // namespace herald::repl
