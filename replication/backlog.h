#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "protocol/shared_bytes.h"

namespace herald::repl {

// A run of replication stream bytes inside one backlog block: the unit a master queues to a
// replica's output queue instead of copying the bytes.
//
// Only the bytes [offset, offset + length) of `block` belong to the slice. The backlog keeps
// appending to the tail block after handing out slices of it, so a holder must never read
// block.view() or block.size() (those grow); the bytes of the slice itself never change.
// Holding the slice keeps the whole block alive, even after the backlog has trimmed it.
struct BacklogSlice {
  protocol::SharedBytes block;
  uint32_t offset = 0;
  uint32_t length = 0;

  // The slice's bytes; valid while this slice (or another reference to the block) lives.
  std::string_view view() const { return {block.data() + offset, length}; }
};

// The master's replication buffer: every byte of the replication stream is appended here once,
// replicas get refcounted slices of it, and the most recent bytes (up to repl-backlog-size) stay
// available for partial resynchronization (PSYNC -> +CONTINUE).
//
//                      first_byte_offset()                    master_repl_offset()
//                             │                                        │
//   blocks_:  ┌───────────────┼──┐   ┌──────────────────┐   ┌──────────┼─────────┐
//             │ trimmed part  │  │──►│                  │──►│          │  free   │
//             └───────────────┴──┘   └──────────────────┘   └──────────┴─────────┘
//               ▲ oldest block          ▲                      ▲ tail block: Append() fills it,
//               │ (freed once all       │                      │ then allocates a new one
//               │  of it is trimmed)    │                      │
//   replica A's out queue: [slice]─────┘       replica B's out queue: [slice][slice]
//
//   - histlen() = master_repl_offset() - first_byte_offset() + 1 <= size_limit(): the history is
//     trimmed byte-exactly; memory is released a whole head block at a time, once no byte of
//     that block is history any more.
//   - A block bigger than the default size (one big append) is compacted once at least half of
//     it is no longer history: the history part is copied into a block of its own size, so a
//     64 MB command costs at most about 2 x repl-backlog-size once newer bytes follow it, and
//     nothing at all once it is wholly trimmed.
//   - A block dropped by the backlog survives as long as some replica's output queue still holds
//     a slice of it (SharedBytes refcount), so a slow replica never forces a copy and a trim
//     never invalidates bytes in flight. What a slow replica pins is bounded by its output
//     buffer limit, not by the backlog.
//
// Offsets follow Redis: the first byte ever appended after construction or Reset(n) has offset
// n + 1, master_repl_offset() is the offset of the last byte appended (n while empty), and
// PSYNC asks for the first byte the replica does not have (its processed offset + 1).
//
// Single-threaded; no I/O; never fails except by aborting when memory is exhausted.
class Backlog {
 public:
  // Blocks are this big unless one append needs a bigger one (Redis's 16 KiB reply chunks).
  static constexpr size_t kDefaultBlockSize = size_t{16} * 1024;
  // The largest block ever allocated (SharedBytes stores sizes in 32 bits); bigger appends are
  // split.
  static constexpr size_t kMaxBlockSize = size_t{1} << 30;

  // A backlog keeping at most `size_limit` bytes of history (repl-backlog-size; 0 keeps none),
  // whose next byte will have offset initial_offset + 1. `block_size` is clamped to
  // [1, kMaxBlockSize]; tests use tiny blocks to exercise the boundaries.
  explicit Backlog(size_t size_limit, int64_t initial_offset = 0,
                   size_t block_size = kDefaultBlockSize);

  Backlog(const Backlog&) = delete;
  Backlog& operator=(const Backlog&) = delete;

  // Copies `bytes` to the end of the stream, advancing master_repl_offset() by bytes.size(), and
  // trims the history to size_limit(). If `slices` is not null, appends to it (without clearing
  // it) the slices that now hold exactly `bytes`, in order: usually one, two when the tail block
  // fills up, more only for appends above kMaxBlockSize. The caller queues those slices to every
  // online replica. An empty `bytes` changes nothing.
  void Append(std::string_view bytes, std::vector<BacklogSlice>* slices);

  // True if a replica that sends PSYNC <replid> `psync_offset` can be served from here, i.e.
  // first_byte_offset() <= psync_offset <= master_repl_offset() + 1 (Redis's rule; the upper
  // bound means "nothing missing"). This checks offsets only; the replication ID is
  // DecidePsync()'s business.
  bool CanServe(int64_t psync_offset) const;

  // Appends to `slices` (without clearing it) the history from `psync_offset` through
  // master_repl_offset(): the bytes to send after +CONTINUE. Returns false, adding nothing, if
  // !CanServe(psync_offset). Returns true with nothing added when psync_offset is
  // master_repl_offset() + 1. The slices stay valid independently of later appends and trims.
  bool SlicesFrom(int64_t psync_offset, std::vector<BacklogSlice>* slices) const;

  // Forgets all history and restarts the offsets so that the next byte has offset
  // `new_offset` + 1: on a replica after a full resync with the master's offset, on a master
  // whose history is no longer valid. Blocks still held by replica queues are unaffected.
  void Reset(int64_t new_offset);

  // Changes the history limit (CONFIG SET repl-backlog-size). Shrinking trims at once; growing
  // keeps the current history and lets it grow from now on.
  void Resize(size_t size_limit);

  // Redis's master_repl_offset: the offset of the last byte appended.
  int64_t master_repl_offset() const { return master_repl_offset_; }
  // Redis's repl_backlog_first_byte_offset: the oldest byte still in the history, or
  // master_repl_offset() + 1 when the history is empty.
  int64_t first_byte_offset() const { return master_repl_offset_ - histlen_ + 1; }
  // Redis's repl_backlog_histlen: bytes of history available, at most size_limit().
  int64_t histlen() const { return histlen_; }
  // Redis's repl_backlog_size.
  size_t size_limit() const { return size_limit_; }
  // Bytes allocated for the blocks the backlog itself still references (mem_replication_backlog
  // in INFO memory): the history plus the older bytes sharing its head block and the free space
  // of the tail block, so at most size_limit() plus two default blocks, or twice size_limit()
  // plus one block when the head block came from an oversized append.
  size_t memory() const;
  // Number of blocks the backlog references (for tests and diagnostics).
  size_t block_count() const { return blocks_.size(); }

 private:
  struct Block {
    protocol::SharedBytes bytes;
    // Replication offset of bytes.data()[0].
    int64_t start_offset;
  };

  // Drops head blocks none of whose bytes are history any more.
  void TrimHead();

  std::deque<Block> blocks_;
  int64_t master_repl_offset_;
  int64_t histlen_ = 0;
  size_t size_limit_;
  size_t block_size_;
};

}  // namespace herald::repl
