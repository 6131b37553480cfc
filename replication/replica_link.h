#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_parser.h"
#include "replication/rdb_sniffer.h"

namespace herald::repl {

// What a replica announces and how it behaves on its link to the master (redis.conf names).
struct ReplicaLinkConfig {
  // `REPLCONF listening-port`: replica-announce-port if set, else the port we listen on.
  int64_t listening_port = 6379;
  // `REPLCONF ip-address`, sent only when not empty (replica-announce-ip).
  std::string announce_ip;
  // masteruser / masterauth: `AUTH <user> <password>` when both are set, `AUTH <password>` when
  // only the password is; no AUTH without a password.
  std::string master_user;
  std::string master_auth;
  // repl-timeout: Tick() reports kTimeout when nothing arrived for longer than this.
  int64_t timeout_ms = int64_t{60} * 1000;
  // Most bytes of one incomplete stream command the caller is asked to keep buffered. Redis does
  // not limit its master link, but no client of a default Redis can send a command above
  // client-query-buffer-limit (1 GiB), so nothing a default master propagates is bigger.
  size_t max_command_bytes = size_t{1} << 30;
};

// Where a new connection tries to resume the master's stream.
struct PsyncRequest {
  // The history we hold (ReplicationState::replid()); empty for `PSYNC ? -1` (no usable
  // history, e.g. a node that never synced).
  std::string replid;
  // The last offset we processed (the backlog's master_repl_offset); PSYNC sends offset + 1,
  // the first byte we lack. Ignored when replid is empty.
  int64_t offset = -1;
  // FAILOVER handoff (Redis's PSYNC <replid> <offset> FAILOVER): a master handing over to this
  // replica asks it to become the master first. Only with a replid.
  bool failover = false;
};

// The connection's progress. Every state but kIdle and kClosed is waiting for the master.
enum class LinkState {
  kIdle,             // constructed, Start() not called yet.
  kAwaitPong,        // PING sent.
  kAwaitAuthReply,   // AUTH, REPLCONF listening-port, [ip-address], capa sent in one batch.
  kAwaitPortReply,   // the AUTH reply (if any) arrived; the listening-port reply is next.
  kAwaitIpReply,     // the ip-address reply is next (only with announce_ip).
  kAwaitCapaReply,   // the capa reply is next; PSYNC goes out once it arrives.
  kAwaitPsyncReply,  // PSYNC sent; `\n` keepalives are skipped.
  kAwaitRdbHeader,   // +FULLRESYNC received; waiting for `$<len>` or `$EOF:<mark>` (keepalives
                     // skipped).
  kRdbBulk,          // discarding a `$<len>` RDB until rdb_read() == rdb_size().
  kRdbEofMark,       // discarding a `$EOF:` RDB until the 40-byte mark.
  kStreaming,        // synced: the command stream is flowing (Redis's REPL_STATE_CONNECTED).
  kClosed,           // failed, timed out or Close()d; Start() again for a new connection.
};

enum class LinkEventKind {
  // `+FULLRESYNC <replid> <offset>`: the master will send an RDB, then its stream from offset+1.
  // Informational (Redis logs "Full resync from master: <replid>:<offset>"). replid is empty if
  // the line was malformed (Redis then syncs without being able to PSYNC later).
  kFullResync,
  // The RDB has been received and discarded, REPLCONF ACK <offset> queued, and the stream starts
  // at offset + 1. The server must now: drop its own replicas, AdoptMasterId(replid) (or
  // ChangeReplicationId() if replid is empty), and Backlog::Reset(offset).
  kSyncComplete,
  // `+CONTINUE [<replid>]`: partial resync accepted; the stream continues at offset + 1 (offset is
  // PsyncRequest::offset). replid is the master's current ID; if replid_changed, the server
  // calls ReplicationState::AdoptContinueId(replid, offset) and disconnects its own replicas.
  kContinue,
  // A PUBLISH (sharded == false) or SPUBLISH (sharded == true) from the stream, name matched
  // case-insensitively, with exactly two arguments. offset is the stream offset of its last
  // byte (a resumable message position). raw is the whole command as received.
  kPublish,
  // The master cannot serve us now (-NOMASTERLINK, -LOADING): close and retry after a delay.
  // error and text say why. The link is kClosed.
  kRetryLater,
  // The link failed (see LinkError); text says why. Close the connection and reconnect with
  // backoff. The link is kClosed.
  kError,
};

enum class LinkError {
  kNone,
  kPingRejected,   // an error to PING other than -NOAUTH / -NOPERM / -ERR operation not
                   // permitted (text: the reply).
  kAuthRejected,   // AUTH failed (text: the reply).
  kPsyncRejected,  // an error or unexpected line in reply to PSYNC (text: the reply). Redis
                   // would fall back to SYNC, which gives no replid and no offsets; herald's
                   // message positions are stream offsets, so it reconnects and retries PSYNC.
  kMasterAborted,  // an error line instead of the RDB header (text: the reply).
  kBadRdbHeader,   // neither `$<len>` nor `$EOF:<40 bytes>` (text: the line).
  kLineTooLong,    // a reply or header line longer than kMaxLineLength.
  kProtocol,       // the stream is not RESP (text: the RequestParser error).
  kCommandTooBig,  // one stream command exceeds max_command_bytes.
  kRetryLater,     // with kRetryLater events.
  kTimeout,        // from Tick() only.
};

// One thing the caller must act on, in order. string_views point either into the `data` passed
// to Feed() or into the link; treat all of them as valid only until the caller drops the consumed
// bytes or calls Feed()/Start() again, whichever comes first.
struct LinkEvent {
  LinkEventKind kind;
  std::string_view channel = {};  // kPublish
  std::string_view message = {};  // kPublish
  std::string_view raw = {};      // kPublish
  bool sharded = false;           // kPublish
  std::string_view replid = {};   // kFullResync, kSyncComplete, kContinue
  bool replid_changed = false;    // kContinue
  int64_t offset = 0;  // kFullResync, kSyncComplete, kContinue: see above; kPublish: end offset
  // kSyncComplete: the discarded RDB held data (keys, functions): a replica of ours that loads
  // our empty RDB (a redis-server) would not get it.
  bool rdb_has_data = false;
  // kSyncComplete: the RDB had no data but says a node above our master dropped some
  // (kUpstreamDataAux).
  bool rdb_upstream_data = false;
  LinkError error = LinkError::kNone;  // kRetryLater, kError
  std::string_view text = {};          // kRetryLater, kError
};

struct FeedResult {
  // Bytes at the front of `data` the caller drops now. The rest is an incomplete line or stream
  // command: keep it and pass it again, followed by new bytes, to the next Feed().
  size_t consumed = 0;
  // The master stream bytes applied by this call: a sub-range of `data` ending at `consumed`,
  // always whole commands. Forward them unchanged into the backlog (and so to our replicas), after
  // handling the events. offset() advanced by exactly stream.size() since the last sync event.
  std::string_view stream;
  // What happened, in order; valid until the next Feed()/Start().
  std::span<const LinkEvent> events;
};

// The replica side of one connection to a master, sans-IO: the server connects, calls Start(),
// writes output(), feeds every read to Feed(), and acts on the events.
//
//   Start() ──► output: PING ─────────────────────────────────────── kAwaitPong
//   +PONG ───► output: [AUTH] REPLCONF listening-port [ip-address] capa eof capa psync2
//   one reply each (AUTH errors are fatal, REPLCONF errors ignored, as Redis 7.0 does)
//   capa reply ► output: PSYNC <replid> <offset+1> | PSYNC ? -1 ──── kAwaitPsyncReply
//   +CONTINUE ─► kContinue ─────────────────────────────────────────► kStreaming
//   +FULLRESYNC ► kFullResync ─► `$<len>` / `$EOF:<mark>` RDB discarded as it arrives
//              ─► output: REPLCONF ACK <offset> ─► kSyncComplete ───► kStreaming
//   stream ───► kPublish events, GETACK answered, everything else only counted
//
// The handshake is pipelined exactly like Redis 7.0's syncWithMaster (observed against 7.0.15):
// PING alone; after its reply AUTH / listening-port / ip-address / capa in one write; PSYNC only
// after the capa reply.
//
// Input may be split at any byte. Memory stays bounded: RDB bytes are consumed as they arrive
// (only the last 39 bytes are kept while looking for an EOF mark), replies and headers are at
// most kMaxLineLength, and at most one incomplete stream command stays in the caller's buffer
// (max_command_bytes).
//
// The offset counts whole commands, like Redis's applied offset (reploff): an incomplete
// command is neither counted nor forwarded, so a reconnect always resumes at a command boundary.
// Differences from Redis 7.0, all deliberate:
//   - bytes glued after an `$EOF:` mark are taken as the stream (a 7.0 replica misses the mark);
//   - REPLCONF ACK is sent right after every RDB (7.0: after `$EOF:` ones only; harmless);
//   - PUBLISH inside MULTI/EXEC is delivered when read, not at EXEC, and the offset advances
//     through the transaction (7.0 holds its applied offset at MULTI until EXEC);
//   - an empty inline line counts toward the offset at once (7.0: with the next command);
//   - any PSYNC error other than -NOMASTERLINK/-LOADING is kError, not a SYNC fallback.
//
// Server integration, per connection attempt (ReplicationState `state`, Backlog `backlog`):
//   connect; link.Start({state.replid(), backlog.master_repl_offset()}, now) (or {} for a node
//   with no usable history); write output().
//   on each read: r = link.Feed(inbuf, now);
//     for each event in r.events, in order:
//       kSyncComplete: drop our replicas; state.AdoptMasterId(replid); backlog.Reset(offset);
//       kContinue:     if replid_changed: state.AdoptContinueId(replid, offset), drop replicas;
//       kPublish:      Broker::Publish(channel, message, origin kReplication);
//       kRetryLater / kError: log text; once r.stream is forwarded, close and reconnect
//                     later (with backoff);
//     backlog.Append(r.stream, &slices) and queue the slices to every online replica;
//     write output() and ClearOutput(); drop r.consumed bytes from inbuf.
//   every second: link.Ack(), write output(); if link.Tick(now) != kNone: close, reconnect.
//   While !link_up(), answer replicas' SYNC/PSYNC with -NOMASTERLINK, as Redis does.
class ReplicaLink {
 public:
  // Longest reply or RDB header line accepted (Redis reads these lines into small fixed
  // buffers; a real master's lines are under 100 bytes).
  static constexpr size_t kMaxLineLength = 4096;

  explicit ReplicaLink(ReplicaLinkConfig config);

  ReplicaLink(const ReplicaLink&) = delete;
  ReplicaLink& operator=(const ReplicaLink&) = delete;

  // Begins the handshake on a freshly connected socket: forgets any previous connection's state,
  // queues PING in output() and enters kAwaitPong. `now_ms` is any monotonic clock in ms, the
  // same one Feed() and Tick() get; it starts the timeout.
  void Start(const PsyncRequest& request, int64_t now_ms);

  // Processes bytes from the master. `data` is every byte not yet consumed: what the last call
  // left plus what arrived since (the buffer may have moved; nothing but offsets is kept). Each
  // call counts as activity at `now_ms` for the timeout, so call it once per read. Appends what
  // must be sent to output(). After an error the link is kClosed and later calls do nothing.
  FeedResult Feed(std::string_view data, int64_t now_ms);

  // Queues `REPLCONF ACK <offset()>` if streaming (kStreaming) and returns true; otherwise does
  // nothing and returns false. Call once per second (Redis's replicationCron).
  bool Ack();

  // Returns kTimeout, and closes the link, if it is waiting for the master and nothing arrived
  // for more than timeout_ms; kNone otherwise. last_error() then says what we were waiting for.
  LinkError Tick(int64_t now_ms);

  // The connection went away (read error, EOF, REPLICAOF elsewhere): enters kClosed. offset() and
  // master_replid() keep their values.
  void Close();

  // Bytes to write to the master, accumulated since the last ClearOutput(); the view is valid
  // until the next call of anything but the accessors. The caller copies them out, then clears.
  std::string_view output() const { return output_; }
  void ClearOutput() { output_.clear(); }

  LinkState state() const { return state_; }
  // Redis's ROLE wording for state(): handshake, sync, connected, or connect (idle/closed: the
  // server still has to connect, or is connecting).
  std::string_view RoleStateName() const;
  // INFO's master_link_status:up.
  bool link_up() const { return state_ == LinkState::kStreaming; }
  // INFO's master_sync_in_progress: between +FULLRESYNC and the end of the RDB.
  bool sync_in_progress() const;

  // The master offset processed (INFO's slave_repl_offset): the last byte of the last whole
  // command applied. Meaningful from kContinue / kSyncComplete on.
  int64_t offset() const { return offset_; }
  // The master's replication ID as learned from +FULLRESYNC / +CONTINUE, else the requested one.
  const std::string& master_replid() const { return master_replid_; }
  // `now_ms` of the last Feed() (or Start()): for INFO's master_last_io_seconds_ago.
  int64_t last_io_ms() const { return last_io_ms_; }
  // RDB transfer progress: total size (-1 for `$EOF:` transfers, whose size is unknown) and
  // bytes received so far.
  int64_t rdb_size() const { return rdb_size_; }
  int64_t rdb_read() const { return rdb_read_; }
  // Why the link closed, for the log line; empty if it did not fail.
  std::string_view last_error() const { return last_error_; }

 private:
  enum class LineScan { kFound, kNeedMore, kTooLong };

  // Finds the line starting at data[pos]; on kFound sets *line (without CR LF) and *next.
  LineScan NextLine(std::string_view data, size_t pos, std::string_view* line, size_t* next);
  // Acts on one reply or header line in the current state.
  void HandleLine(std::string_view line);
  void HandlePsyncReply(std::string_view line);
  void HandleRdbHeader(std::string_view line);
  // Consumes RDB bytes from data[pos]; returns how many.
  size_t DiscardRdb(std::string_view data, size_t pos);
  // Returns the index in `data` just past the EOF mark, or npos (keeping the tail for later).
  size_t FindEofMark(std::string_view data);
  void FinishSync();
  // Applies whole commands from data[pos]; returns the position after the last one.
  size_t ApplyStream(std::string_view data, size_t pos);
  void ApplyCommand(std::string_view data, std::string_view raw, int64_t offset_before);
  // Ends the link with an event; `text` is copied.
  void Fail(LinkEventKind kind, LinkError error, std::string_view text);
  void SendCommand(std::initializer_list<std::string_view> args);
  void SendAck(int64_t offset);
  // Keeps a copy of `s` alive until the next Feed() and returns a view of it.
  std::string_view Own(std::string_view s);

  ReplicaLinkConfig config_;
  LinkState state_ = LinkState::kIdle;
  std::string requested_replid_;
  bool requested_failover_ = false;
  std::string master_replid_;
  int64_t offset_ = -1;
  int64_t last_io_ms_ = 0;

  // Bytes of the current reply line already searched for its `\n`.
  size_t line_scanned_ = 0;

  RdbSniffer rdb_sniffer_;
  int64_t rdb_size_ = -1;
  int64_t rdb_read_ = 0;
  int64_t rdb_remaining_ = 0;
  std::string eof_mark_;
  // The last (at most 39) RDB bytes seen, where an EOF mark split across reads begins.
  std::string eof_tail_;

  protocol::RequestParser parser_;
  std::string output_;
  std::vector<LinkEvent> events_;
  // Copies that event views point into (error texts, unescaped inline arguments); a deque so
  // that adding one does not move the others.
  std::deque<std::string> owned_;
  std::string last_error_;
};

}  // namespace herald::repl
