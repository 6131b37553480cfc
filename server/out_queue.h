#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "protocol/shared_bytes.h"

namespace herald::server {

// The bytes a connection still has to write, as a list of pieces that each point into a
// SharedBytes block:
//
//   pieces_:  [ head_ ... in flight ... | ... queued ... ]
//               │                          │
//               ▼                          ▼
//   chunk (16 KiB, this queue only)      frame (one published message, shared with every
//   ["+OK\r\n:1\r\n..." | free space]    subscriber queue that references it)
//
// Small replies are copied into the queue's own chunk (the last piece grows while the chunk
// has room); fan-out frames are referenced, never copied. A write that is in flight pins its
// pieces until Consume() is called for it, as libuv requires; appends never touch bytes that
// are already queued. No allocation happens per append in the steady state: the piece vector
// keeps its capacity and drained chunks go back to a small free list.
class OutQueue {
 public:
  static constexpr size_t kChunkSize = 16 * 1024;
  // Piece capacity an empty queue keeps for reuse; more is freed when the queue drains.
  static constexpr size_t kKeptPieces = 256;

  OutQueue() = default;
  OutQueue(const OutQueue&) = delete;
  OutQueue& operator=(const OutQueue&) = delete;
  ~OutQueue();

  // Copies `bytes` to the end of the queue.
  void Append(std::string_view bytes);
  // Queues a reference to `frame` (whose bytes must not change afterwards).
  void AppendShared(const protocol::SharedBytes& frame);
  // Queues a reference to `length` bytes of `block` from `offset` (a replication backlog slice:
  // the block may keep growing past them, the referenced bytes never change).
  void AppendShared(const protocol::SharedBytes& block, uint32_t offset, uint32_t length);

  // Bytes queued and not yet consumed.
  size_t bytes() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }
  // Number of pieces queued (CLIENT LIST's oll).
  size_t pieces() const { return pieces_.size() - head_; }

  // Fills at most `max` iovecs with the queued bytes from the front, skipping the first `skip`
  // bytes (those of a write in flight). Returns the number of iovecs filled and sets *total to
  // the bytes they cover. The iovecs stay valid until those bytes are consumed.
  size_t Gather(size_t skip, iovec* iov, size_t max, size_t* total) const;

  // Drops `n` written bytes from the front.
  void Consume(size_t n);

  // Drops everything (the connection is going away).
  void Clear();

 private:
  struct Piece {
    protocol::SharedBytes block;
    uint32_t offset;
    uint32_t length;
  };
  void ReleaseChunkIfIdle();

  std::vector<Piece> pieces_;
  size_t head_ = 0;
  size_t bytes_ = 0;
  // The chunk small replies are copied into; also referenced by the pieces that use it.
  protocol::SharedBytes chunk_;
};

}  // namespace herald::server
