#include "replication/backlog.h"

#include <algorithm>

namespace herald::repl {

Backlog::Backlog(size_t size_limit, int64_t initial_offset, size_t block_size)
    : master_repl_offset_(initial_offset),
      size_limit_(size_limit),
      block_size_(std::clamp<size_t>(block_size, 1, kMaxBlockSize)) {}

void Backlog::Append(std::string_view bytes, std::vector<BacklogSlice>* slices) {
  while (!bytes.empty()) {
    if (blocks_.empty() || blocks_.back().bytes.available() == 0) {
      // A big append gets a block of its own size, as Redis does for big writes, so one
      // published megabyte costs one slice per replica instead of sixty-four.
      const size_t capacity = std::clamp(bytes.size(), block_size_, kMaxBlockSize);
      blocks_.push_back({protocol::SharedBytes::Allocate(capacity), master_repl_offset_ + 1});
    }
    Block& tail = blocks_.back();
    // Appending past size() is safe although replica queues may hold slices of this block:
    // they only ever read their own [offset, offset + length), which lies below the old size.
    const size_t at = tail.bytes.size();
    const size_t n = tail.bytes.Append(bytes);
    if (slices != nullptr) {
      slices->push_back({tail.bytes, static_cast<uint32_t>(at), static_cast<uint32_t>(n)});
    }
    master_repl_offset_ += static_cast<int64_t>(n);
    histlen_ += static_cast<int64_t>(n);
    bytes.remove_prefix(n);
  }
  // The history limit is byte-exact, so CanServe() does not depend on block sizes; only memory
  // is released in whole blocks.
  histlen_ = std::min(histlen_, static_cast<int64_t>(size_limit_));
  TrimHead();
}

// Redis's rule: a replica asking for master_repl_offset + 1 has everything and is served with
// nothing, which is what lets a replica of an idle master reconnect with +CONTINUE.
bool Backlog::CanServe(int64_t psync_offset) const {
  return psync_offset >= first_byte_offset() && psync_offset <= master_repl_offset_ + 1;
}

bool Backlog::SlicesFrom(int64_t psync_offset, std::vector<BacklogSlice>* slices) const {
  if (!CanServe(psync_offset)) return false;
  if (psync_offset == master_repl_offset_ + 1) return true;
  // The block holding psync_offset is the last one starting at or before it. Every history byte
  // lives in some block (TrimHead drops only blocks wholly before the history), so it exists.
  auto it =
      std::upper_bound(blocks_.begin(), blocks_.end(), psync_offset,
                       [](int64_t offset, const Block& b) { return offset < b.start_offset; });
  --it;
  size_t skip = static_cast<size_t>(psync_offset - it->start_offset);
  // Later blocks go whole: they hold only history, up to master_repl_offset in the tail.
  for (; it != blocks_.end(); ++it) {
    const size_t size = it->bytes.size();
    slices->push_back({it->bytes, static_cast<uint32_t>(skip), static_cast<uint32_t>(size - skip)});
    skip = 0;
  }
  return true;
}

void Backlog::Reset(int64_t new_offset) {
  // Dropping our references frees only the blocks no replica queue still holds.
  blocks_.clear();
  master_repl_offset_ = new_offset;
  histlen_ = 0;
}

void Backlog::Resize(size_t size_limit) {
  size_limit_ = size_limit;
  histlen_ = std::min(histlen_, static_cast<int64_t>(size_limit_));
  TrimHead();
}

size_t Backlog::memory() const {
  size_t total = 0;
  for (const Block& b : blocks_) total += b.bytes.capacity();
  return total;
}

// Releasing is our reference only: a block still queued to a slow replica is freed by the last
// slice that refers to it, never here, so trimming cannot invalidate bytes being written.
void Backlog::TrimHead() {
  const int64_t first = first_byte_offset();
  while (!blocks_.empty()) {
    const Block& head = blocks_.front();
    if (head.start_offset + static_cast<int64_t>(head.bytes.size()) > first) break;
    blocks_.pop_front();
  }
  if (blocks_.empty()) return;
  // A block sized to one big command (a 64 MB PUBLISH) would otherwise stay until that much
  // newer history pushed it out, long after most of it stopped being history. Once at least
  // half of it is dead, its history part moves to a block of its own size; halving each time
  // keeps the copying linear in the bytes appended, and the dead part never exceeds the live one.
  Block& head = blocks_.front();
  const size_t capacity = head.bytes.capacity();
  const size_t dead = static_cast<size_t>(first - head.start_offset);
  if (capacity <= block_size_ || dead < capacity / 2) return;
  const std::string_view live = std::string_view(head.bytes.data(), head.bytes.size()).substr(dead);
  // Copy() makes a full block, so a compacted tail is never appended to again: slices handed
  // out earlier keep referring to the old block, which lives until the last of them goes.
  head = {protocol::SharedBytes::Copy(live), first};
}

}  // namespace herald::repl
