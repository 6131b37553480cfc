#include "replication/replica_link.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <utility>

#include "protocol/numbers.h"
#include "protocol/resp_writer.h"

namespace herald::repl {
namespace {

using protocol::EqualsIgnoreCase;

// Redis checks reply prefixes with strncmp, so "+CONTINUE" also matches "+CONTINUEx"; the same
// here.
bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The master link is not subject to proto-max-bulk-len in Redis; the only bound is
// max_command_bytes, checked by the link itself.
protocol::RequestLimits StreamLimits() {
  protocol::RequestLimits limits;
  limits.max_bulk_len = std::numeric_limits<uint64_t>::max();
  return limits;
}

constexpr size_t kEofMarkLength = 40;

}  // namespace

ReplicaLink::ReplicaLink(ReplicaLinkConfig config)
    : config_(std::move(config)), parser_(StreamLimits()) {}

void ReplicaLink::Start(const PsyncRequest& request, int64_t now_ms) {
  state_ = LinkState::kAwaitPong;
  requested_replid_ = request.replid;
  requested_failover_ = request.failover && !request.replid.empty();
  master_replid_ = request.replid;
  offset_ = request.replid.empty() ? -1 : request.offset;
  last_io_ms_ = now_ms;
  line_scanned_ = 0;
  rdb_size_ = -1;
  rdb_read_ = 0;
  rdb_remaining_ = 0;
  eof_mark_.clear();
  eof_tail_.clear();
  parser_.Reset();
  // Whatever the previous connection did not get to write is meaningless on a new socket.
  output_.clear();
  events_.clear();
  owned_.clear();
  last_error_.clear();
  SendCommand({"PING"});
}

FeedResult ReplicaLink::Feed(std::string_view data, int64_t now_ms) {
  events_.clear();
  owned_.clear();
  FeedResult result;
  if (state_ == LinkState::kIdle || state_ == LinkState::kClosed) return result;
  // Any byte proves the master alive, `\n` keepalives included: that is what they are for.
  last_io_ms_ = now_ms;

  // One pass over the data; each state consumes what it can and the loop moves on to the state
  // it leads to, so a read holding the end of the RDB and the first commands is handled at once.
  size_t pos = 0;
  size_t stream_begin = std::string_view::npos;
  bool more = true;
  while (more && pos < data.size() && state_ != LinkState::kClosed) {
    switch (state_) {
      case LinkState::kRdbBulk:
      case LinkState::kRdbEofMark:
        pos += DiscardRdb(data, pos);
        break;
      case LinkState::kStreaming:
        stream_begin = pos;
        // Returns at an incomplete command, at an error, or at the end of the data: in every
        // case there is nothing more to do in this call.
        pos = ApplyStream(data, pos);
        more = false;
        break;
      default: {
        std::string_view line;
        size_t next = 0;
        switch (NextLine(data, pos, &line, &next)) {
          case LineScan::kNeedMore:
            more = false;
            break;
          case LineScan::kTooLong:
            Fail(LinkEventKind::kError, LinkError::kLineTooLong,
                 fmt::format("reply line longer than {} bytes from master", kMaxLineLength));
            break;
          case LineScan::kFound:
            pos = next;
            HandleLine(line);
            break;
        }
        break;
      }
    }
  }
  result.consumed = pos;
  if (stream_begin != std::string_view::npos) {
    result.stream = data.substr(stream_begin, pos - stream_begin);
  }
  result.events = events_;
  return result;
}

bool ReplicaLink::Ack() {
  // Redis's cron ACKs only with a live master client, i.e. once synced; an ACK during the
  // handshake would be taken by the master as a (failing) command.
  if (state_ != LinkState::kStreaming) return false;
  SendAck(offset_);
  return true;
}

LinkError ReplicaLink::Tick(int64_t now_ms) {
  if (state_ == LinkState::kIdle || state_ == LinkState::kClosed) return LinkError::kNone;
  if (now_ms - last_io_ms_ <= config_.timeout_ms) return LinkError::kNone;
  // Redis's three timeout messages, so the log says what we were waiting for.
  if (state_ == LinkState::kStreaming) {
    last_error_ = "MASTER timeout: no data nor PING received";
  } else if (sync_in_progress()) {
    last_error_ = "Timeout receiving bulk data from MASTER";
  } else {
    last_error_ = "Timeout connecting to the MASTER";
  }
  state_ = LinkState::kClosed;
  return LinkError::kTimeout;
}

void ReplicaLink::Close() { state_ = LinkState::kClosed; }

std::string_view ReplicaLink::RoleStateName() const {
  switch (state_) {
    case LinkState::kIdle:
    case LinkState::kClosed:
      return "connect";
    case LinkState::kStreaming:
      return "connected";
    default:
      return sync_in_progress() ? "sync" : "handshake";
  }
}

bool ReplicaLink::sync_in_progress() const {
  return state_ == LinkState::kAwaitRdbHeader || state_ == LinkState::kRdbBulk ||
         state_ == LinkState::kRdbEofMark;
}

// Lines end at `\n`; one `\r` before it is dropped, as Redis's connSyncReadLine does. The search
// resumes where the previous call stopped, since a line arriving byte by byte stays at the front
// of the caller's buffer.
ReplicaLink::LineScan ReplicaLink::NextLine(std::string_view data, size_t pos,
                                            std::string_view* line, size_t* next) {
  const std::string_view rest = data.substr(pos);
  const size_t window = std::min(rest.size(), kMaxLineLength + 2);
  const size_t newline = rest.substr(0, window).find('\n', std::min(line_scanned_, window));
  if (newline == std::string_view::npos) {
    line_scanned_ = window;
    return rest.size() >= kMaxLineLength + 2 ? LineScan::kTooLong : LineScan::kNeedMore;
  }
  line_scanned_ = 0;
  std::string_view text = rest.substr(0, newline);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (text.size() > kMaxLineLength) return LineScan::kTooLong;
  *line = text;
  *next = pos + newline + 1;
  return LineScan::kFound;
}

// Which replies are awaited, and which errors matter, follow Redis 7.0's syncWithMaster: only a
// PING error outside the tolerated three and an AUTH error stop the handshake; REPLCONF errors
// ("Non critical") are ignored, so any line counts as the reply.
void ReplicaLink::HandleLine(std::string_view line) {
  switch (state_) {
    case LinkState::kAwaitPong: {
      // A master requiring AUTH answers PING with -NOAUTH (or -NOPERM for an ACL user), and
      // that is fine: the AUTH is in the next batch.
      const bool ok = StartsWith(line, "+") || StartsWith(line, "-NOAUTH") ||
                      StartsWith(line, "-NOPERM") ||
                      StartsWith(line, "-ERR operation not permitted");
      if (!ok) {
        Fail(LinkEventKind::kError, LinkError::kPingRejected, line);
        return;
      }
      const bool auth = !config_.master_auth.empty();
      if (auth && !config_.master_user.empty()) {
        SendCommand({"AUTH", config_.master_user, config_.master_auth});
      } else if (auth) {
        SendCommand({"AUTH", config_.master_auth});
      }
      SendCommand({"REPLCONF", "listening-port", fmt::format("{}", config_.listening_port)});
      if (!config_.announce_ip.empty()) {
        SendCommand({"REPLCONF", "ip-address", config_.announce_ip});
      }
      SendCommand({"REPLCONF", "capa", "eof", "capa", "psync2"});
      state_ = auth ? LinkState::kAwaitAuthReply : LinkState::kAwaitPortReply;
      return;
    }
    case LinkState::kAwaitAuthReply:
      if (StartsWith(line, "-")) {
        Fail(LinkEventKind::kError, LinkError::kAuthRejected, line);
        return;
      }
      state_ = LinkState::kAwaitPortReply;
      return;
    case LinkState::kAwaitPortReply:
      state_ = config_.announce_ip.empty() ? LinkState::kAwaitCapaReply : LinkState::kAwaitIpReply;
      return;
    case LinkState::kAwaitIpReply:
      state_ = LinkState::kAwaitCapaReply;
      return;
    case LinkState::kAwaitCapaReply:
      // Like Redis, PSYNC waits for the capa reply: a master must know we understand `$EOF:`
      // and +CONTINUE <replid> before it answers PSYNC.
      if (requested_replid_.empty()) {
        SendCommand({"PSYNC", "?", "-1"});
      } else {
        const std::string offset = fmt::format("{}", offset_ + 1);
        if (requested_failover_) {
          SendCommand({"PSYNC", requested_replid_, offset, "FAILOVER"});
        } else {
          SendCommand({"PSYNC", requested_replid_, offset});
        }
      }
      state_ = LinkState::kAwaitPsyncReply;
      return;
    case LinkState::kAwaitPsyncReply:
      HandlePsyncReply(line);
      return;
    case LinkState::kAwaitRdbHeader:
      HandleRdbHeader(line);
      return;
    default:
      return;
  }
}

// The outcomes, in the order Redis 7.0 tests them:
//   empty line: a keepalive the master sends while it prepares the RDB; keep waiting;
//   +FULLRESYNC <40-byte replid> <offset>: kFullResync, then the RDB header;
//     other shapes: still a full sync, but with an unknown replid and offset 0;
//   +CONTINUE [<40-byte replid>]: kContinue, streaming; a replid of another length is ignored;
//   -NOMASTERLINK..., -LOADING...: kRetryLater;
//   anything else: kError (kPsyncRejected).
void ReplicaLink::HandlePsyncReply(std::string_view line) {
  if (line.empty()) return;
  if (StartsWith(line, "+FULLRESYNC")) {
    master_replid_.clear();
    offset_ = 0;
    const size_t id_begin = line.find(' ');
    const size_t id_end =
        id_begin == std::string_view::npos ? id_begin : line.find(' ', id_begin + 1);
    int64_t offset = 0;
    if (id_end != std::string_view::npos && id_end - id_begin - 1 == kEofMarkLength &&
        protocol::ParseInt64(line.substr(id_end + 1), &offset)) {
      master_replid_.assign(line.substr(id_begin + 1, id_end - id_begin - 1));
      offset_ = offset;
    }
    LinkEvent event{LinkEventKind::kFullResync};
    event.replid = master_replid_;
    event.offset = offset_;
    events_.push_back(event);
    rdb_size_ = -1;
    rdb_read_ = 0;
    rdb_sniffer_ = RdbSniffer();
    state_ = LinkState::kAwaitRdbHeader;
    return;
  }
  if (StartsWith(line, "+CONTINUE")) {
    if (requested_replid_.empty()) {
      // We sent PSYNC ? -1, so there is nothing to continue from.
      Fail(LinkEventKind::kError, LinkError::kPsyncRejected, line);
      return;
    }
    // Redis takes the 40 bytes after "+CONTINUE " as the new ID and ignores any other length
    // (a pre-PSYNC2 master sends no ID at all).
    constexpr size_t kIdStart = std::string_view("+CONTINUE ").size();
    master_replid_ = requested_replid_;
    if (line.size() == kIdStart + kEofMarkLength) master_replid_.assign(line.substr(kIdStart));
    LinkEvent event{LinkEventKind::kContinue};
    event.replid = master_replid_;
    event.replid_changed = master_replid_ != requested_replid_;
    event.offset = offset_;
    events_.push_back(event);
    parser_.Reset();
    state_ = LinkState::kStreaming;
    return;
  }
  if (StartsWith(line, "-NOMASTERLINK") || StartsWith(line, "-LOADING")) {
    Fail(LinkEventKind::kRetryLater, LinkError::kRetryLater, line);
    return;
  }
  Fail(LinkEventKind::kError, LinkError::kPsyncRejected, line);
}

// `$<len>` (disk) or `$EOF:<40 bytes>` (diskless); empty lines are keepalives from a master
// whose BGSAVE is slow; an error line means the master gave up on this sync.
void ReplicaLink::HandleRdbHeader(std::string_view line) {
  if (line.empty()) return;
  if (line[0] == '-') {
    Fail(LinkEventKind::kError, LinkError::kMasterAborted, line);
    return;
  }
  constexpr std::string_view kEofPrefix = "$EOF:";
  if (StartsWith(line, kEofPrefix) && line.size() >= kEofPrefix.size() + kEofMarkLength) {
    // Redis uses the first 40 bytes after the prefix and ignores the rest of the line.
    eof_mark_.assign(line.substr(kEofPrefix.size(), kEofMarkLength));
    eof_tail_.clear();
    rdb_size_ = -1;
    state_ = LinkState::kRdbEofMark;
    return;
  }
  // Redis parses the size with strtol and would wait forever on garbage; refusing it closes the
  // link, and the reconnect gets a fresh chance.
  int64_t size = 0;
  if (line[0] != '$' || !protocol::ParseInt64(line.substr(1), &size) || size < 0) {
    Fail(LinkEventKind::kError, LinkError::kBadRdbHeader, line);
    return;
  }
  rdb_size_ = size;
  rdb_remaining_ = size;
  state_ = LinkState::kRdbBulk;
  if (size == 0) FinishSync();
}

size_t ReplicaLink::DiscardRdb(std::string_view data, size_t pos) {
  const std::string_view rest = data.substr(pos);
  if (state_ == LinkState::kRdbBulk) {
    // Exactly `size` bytes: the stream follows at once, without a CRLF.
    const size_t n =
        static_cast<size_t>(std::min<int64_t>(rdb_remaining_, static_cast<int64_t>(rest.size())));
    rdb_remaining_ -= static_cast<int64_t>(n);
    rdb_read_ += static_cast<int64_t>(n);
    rdb_sniffer_.Feed(rest.substr(0, n));
    if (rdb_remaining_ == 0) FinishSync();
    return n;
  }
  const size_t end = FindEofMark(rest);
  if (end == std::string_view::npos) {
    rdb_read_ += static_cast<int64_t>(rest.size());
    rdb_sniffer_.Feed(rest);
    return rest.size();
  }
  rdb_read_ += static_cast<int64_t>(end);
  rdb_sniffer_.Feed(rest.substr(0, end));
  FinishSync();
  return end;
}

// The mark is found wherever it ends, not only at the end of a read: Redis 7.0 compares only the
// last 40 bytes of each read and so hangs when stream bytes follow the mark in the same read.
// A mark split across reads starts within the kept tail (at most 39 bytes) and ends within the
// first 39 bytes of `rest`, so searching that small joint plus `rest` itself finds the first
// occurrence without ever holding more than 39 old bytes.
size_t ReplicaLink::FindEofMark(std::string_view rest) {
  const size_t keep = kEofMarkLength - 1;
  if (!eof_tail_.empty()) {
    std::string joint = eof_tail_;
    joint.append(rest.substr(0, std::min(rest.size(), keep)));
    const size_t at = joint.find(eof_mark_);
    if (at != std::string::npos) return at + kEofMarkLength - eof_tail_.size();
  }
  const size_t at = rest.find(eof_mark_);
  if (at != std::string_view::npos) return at + kEofMarkLength;
  if (rest.size() >= keep) {
    eof_tail_.assign(rest.substr(rest.size() - keep));
  } else {
    eof_tail_.append(rest);
    if (eof_tail_.size() > keep) eof_tail_.erase(0, eof_tail_.size() - keep);
  }
  return std::string_view::npos;
}

// The RDB is done (and discarded). The ACK goes out at once: a master that sent `$EOF:` starts
// streaming only after it, and for `$<len>` it is merely early.
void ReplicaLink::FinishSync() {
  SendAck(offset_);
  LinkEvent event{LinkEventKind::kSyncComplete};
  event.replid = master_replid_;
  event.offset = offset_;
  event.rdb_has_data = rdb_sniffer_.verdict() == RdbSniffer::Verdict::kData;
  event.rdb_upstream_data = rdb_sniffer_.verdict() == RdbSniffer::Verdict::kUpstreamData;
  events_.push_back(event);
  eof_tail_.clear();
  parser_.Reset();
  state_ = LinkState::kStreaming;
}

size_t ReplicaLink::ApplyStream(std::string_view data, size_t pos) {
  while (pos < data.size()) {
    const std::string_view rest = data.substr(pos);
    size_t used = 0;
    switch (parser_.Parse(rest, &used)) {
      case protocol::RequestResult::kNeedMore:
        // Everything left is one incomplete command, and the caller is keeping it for us.
        if (rest.size() > config_.max_command_bytes) {
          Fail(LinkEventKind::kError, LinkError::kCommandTooBig,
               fmt::format("command from master exceeds {} bytes", config_.max_command_bytes));
        }
        return pos;
      case protocol::RequestResult::kError:
        Fail(LinkEventKind::kError, LinkError::kProtocol, parser_.error());
        return pos;
      case protocol::RequestResult::kOk: {
        const int64_t offset_before = offset_;
        offset_ += static_cast<int64_t>(used);
        ApplyCommand(data, rest.substr(0, used), offset_before);
        pos += used;
        break;
      }
    }
  }
  return pos;
}

// Only three commands matter to a pub/sub node; every other one (SELECT, SET, MULTI, ping, ...)
// was already counted and is forwarded unchanged by the caller.
void ReplicaLink::ApplyCommand(std::string_view data, std::string_view raw, int64_t offset_before) {
  const std::vector<std::string_view>& args = parser_.args();
  // Multibulk arguments are views into `data`; unescaped inline ones live in the parser until
  // its next Parse(), so events keep copies of those.
  const auto stable = [&](std::string_view arg) {
    const std::less<const char*> before;
    const bool inside =
        !before(arg.data(), data.data()) && !before(data.data() + data.size(), arg.data());
    return inside ? arg : Own(arg);
  };
  if (args.size() == 3) {
    const bool publish = EqualsIgnoreCase(args[0], "publish");
    if (publish || EqualsIgnoreCase(args[0], "spublish")) {
      LinkEvent event{LinkEventKind::kPublish};
      event.channel = stable(args[1]);
      event.message = stable(args[2]);
      event.raw = raw;
      event.sharded = !publish;
      event.offset = offset_;
      events_.push_back(event);
      return;
    }
  }
  // REPLCONF needs an odd argument count; GETACK's value is ignored. The answer reports the
  // offset before this command, as Redis 7.0 does (its applied offset moves only after the
  // command has run): observed 134 after a 34-byte PUBLISH from 100, GETACK included later.
  if (args.size() >= 3 && args.size() % 2 == 1 && EqualsIgnoreCase(args[0], "replconf") &&
      EqualsIgnoreCase(args[1], "getack")) {
    SendAck(offset_before);
  }
}

// The text is copied because it usually views the caller's buffer, which the caller may compact
// as soon as Feed() returns, and Tick()/last_error() need it later.
void ReplicaLink::Fail(LinkEventKind kind, LinkError error, std::string_view text) {
  last_error_.assign(text);
  LinkEvent event{kind};
  event.error = error;
  event.text = Own(text);
  events_.push_back(event);
  state_ = LinkState::kClosed;
}

void ReplicaLink::SendCommand(std::initializer_list<std::string_view> args) {
  protocol::RespWriter writer(&output_, 2);
  writer.ArrayHeader(args.size());
  for (std::string_view arg : args) writer.Bulk(arg);
}

void ReplicaLink::SendAck(int64_t offset) {
  SendCommand({"REPLCONF", "ACK", fmt::format("{}", offset)});
}

std::string_view ReplicaLink::Own(std::string_view s) { return owned_.emplace_back(s); }

}  // namespace herald::repl
