#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "replication/backlog.h"

namespace herald::repl {

// Length of a replication ID (Redis's CONFIG_RUN_ID_SIZE): 40 hex characters.
inline constexpr size_t kReplIdLength = 40;

// CRC-64/Jones as Redis computes it for RDB files: polynomial 0xad93d23594c935a9, input and
// output reflected, no final xor. Start with crc = 0 and chain calls to checksum data that
// arrives in pieces. Crc64(0, "123456789") == 0xe9c6d914c4b8d9ca (the catalogue check value).
uint64_t Crc64(uint64_t crc, std::string_view data);

// The smallest RDB a Redis 7.0 replica loads: "REDIS0010", the EOF opcode 0xFF and the CRC64 of
// those ten bytes, little-endian (18 bytes). The view points at static storage.
std::string_view EmptyRdb();

// EmptyRdb() with Redis's disk framing, `$18\r\n` + the 18 bytes (23 bytes, no trailing CRLF):
// what a master sends right after +FULLRESYNC. Every Redis replica accepts this framing whatever
// capabilities it announced, and with it the replica does not have to ACK before the master
// may stream (that rule only applies to `$EOF:` transfers). The view points at static storage.
std::string_view EmptyRdbPayload();

// Like EmptyRdbPayload(), with one aux field more, kUpstreamDataAux = "1" (rdb_sniffer.h): what a
// replica whose master's RDB held data sends its own replicas, so that the whole subtree knows
// the data was dropped above it. Redis replicas load it as an empty data set.
std::string_view UpstreamDataRdbPayload();

// A new random replication ID: 40 lowercase hex characters drawn from std::random_device.
std::string GenerateReplicationId();

// The PSYNC2 identity of this node (Redis's server.replid, replid2 and second_replid_offset).
// The offsets themselves live in the Backlog: master_repl_offset there is the node's offset.
//
// replid is the history the node's stream belongs to. replid2 is the history it continued from
// (after a promotion, or after a master announced a new ID in +CONTINUE): replicas that followed
// that older history may still PSYNC with it, up to second_repl_offset.
class ReplicationState {
 public:
  // A node with a fresh random replid and no replid2 (Redis at startup without a saved state).
  ReplicationState();
  // A node with the given replid (tests; restoring a saved state). No replid2.
  explicit ReplicationState(std::string replid);

  // Redis's master_replid.
  const std::string& replid() const { return replid_; }
  // Redis's master_replid2: forty '0' characters when there is none.
  const std::string& replid2() const { return replid2_; }
  // Redis's second_repl_offset: the last offset of the replid2 history plus one, i.e. the
  // largest PSYNC offset accepted with replid2; -1 when there is no replid2.
  int64_t second_repl_offset() const { return second_repl_offset_; }

  // On promotion (REPLICAOF NO ONE), with the backlog's master_repl_offset: the current history
  // becomes replid2, valid up to master_repl_offset + 1, and a new random replid starts, so
  // former siblings re-pointed at this node still get +CONTINUE.
  void ShiftReplicationId(int64_t master_repl_offset);
  // The same with a given new ID (tests, or a replica adopting its master's new ID below).
  void ShiftReplicationId(int64_t master_repl_offset, std::string new_replid);

  // After a full resync from a master (ReplicaLink's kSyncComplete): the node now follows the
  // master's history `master_replid`, and any replid2 is forgotten. The caller also resets the
  // backlog to the master's offset and drops its own replicas.
  void AdoptMasterId(std::string master_replid);

  // After +CONTINUE <id> from our master (ReplicaLink's kContinue): if `master_replid` differs
  // (byte-wise, as Redis compares it) from replid(), shifts to it exactly like
  // ShiftReplicationId(master_repl_offset, master_replid) and returns true; the caller must then
  // disconnect its own replicas so they re-PSYNC and learn the new ID. Returns false otherwise.
  bool AdoptContinueId(std::string_view master_replid, int64_t master_repl_offset);

  // Starts a new random history and forgets replid2: for a node whose history is gone (Redis's
  // changeReplicationId + clearReplicationId2, e.g. the backlog was discarded).
  void ChangeReplicationId();

 private:
  std::string replid_;
  std::string replid2_;
  int64_t second_repl_offset_ = -1;
};

// What a master answers to `PSYNC <replid> <offset>`.
enum class PsyncOutcome {
  kContinue,    // reply FormatContinue(), then the backlog slices from `offset`.
  kFullResync,  // reply FormatFullResync(replid, master_repl_offset) + EmptyRdbPayload().
  kBadOffset,   // the offset is not an integer: reply `-ERR value is not an integer or out of
                // range` (protocol/errors.h kNotInteger) and keep the connection as it is;
                // Redis 7.0 neither syncs nor disconnects.
};

// Why, for the log line (Redis logs each of these differently).
enum class PsyncReason {
  kAccepted,              // replid or replid2 matched and the offset is in the backlog.
  kFullResyncRequested,   // the replica sent `?`: it has no usable history.
  kReplidMismatch,        // neither replid nor replid2 matches.
  kSecondIdOffsetTooBig,  // replid2 matched but the offset is beyond second_repl_offset.
  kNotInBacklog,          // the ID matched but the offset is outside the backlog.
  kBadOffset,             // the offset argument did not parse.
};

struct PsyncDecision {
  PsyncOutcome outcome;
  PsyncReason reason;
  // kContinue: the first offset to send (the parsed PSYNC offset).
  // kFullResync: the offset to announce in +FULLRESYNC (the backlog's master_repl_offset).
  // kBadOffset: 0.
  int64_t offset;
};

// Redis 7.0's master-side PSYNC rules (masterTryPartialResynchronization), given the two
// arguments exactly as received:
//   - `offset_arg` must be a Redis integer (string2ll rules), else kBadOffset;
//   - continue only if `replid_arg` equals replid() or equals replid2() with offset <=
//     second_repl_offset(), IDs compared case-insensitively as Redis does;
//   - and the backlog can serve the offset (Backlog::CanServe);
//   - anything else is a full resync.
// Does not change anything; the server acts on the decision (and refuses PSYNC with
// -NOMASTERLINK itself while its own master link is down).
PsyncDecision DecidePsync(std::string_view replid_arg, std::string_view offset_arg,
                          const ReplicationState& state, const Backlog& backlog);

// `+FULLRESYNC <replid> <offset>\r\n`.
std::string FormatFullResync(std::string_view replid, int64_t offset);

// `+CONTINUE <replid>\r\n` for a replica that announced `REPLCONF capa psync2`, bare
// `+CONTINUE\r\n` for an older one (which could not parse the ID).
std::string FormatContinue(std::string_view replid, bool psync2);

}  // namespace herald::repl
