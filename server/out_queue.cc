#include "server/out_queue.h"

#include <algorithm>

namespace herald::server {
namespace {

// Drained chunks are kept for reuse so a connection that answers one request per loop turn does
// not allocate for it; bounded so that a burst of connections does not pin memory forever.
constexpr size_t kMaxFreeChunks = 256;
std::vector<protocol::SharedBytes>& FreeChunks() {
  static std::vector<protocol::SharedBytes> chunks;
  return chunks;
}

protocol::SharedBytes NewChunk(size_t at_least) {
  if (at_least <= OutQueue::kChunkSize) {
    auto& free = FreeChunks();
    if (!free.empty()) {
      protocol::SharedBytes chunk = std::move(free.back());
      free.pop_back();
      return chunk;
    }
    return protocol::SharedBytes::Allocate(OutQueue::kChunkSize);
  }
  return protocol::SharedBytes::Allocate(at_least);
}

}  // namespace

OutQueue::~OutQueue() { Clear(); }

void OutQueue::Append(std::string_view bytes) {
  if (bytes.empty()) return;
  bytes_ += bytes.size();
  // Extend the last piece when it ends exactly where the chunk's free space begins.
  if (chunk_ && chunk_.available() > 0 && head_ < pieces_.size()) {
    Piece& last = pieces_.back();
    if (last.block.same_block(chunk_) && last.offset + last.length == chunk_.size()) {
      size_t n = chunk_.Append(bytes);
      last.length += static_cast<uint32_t>(n);
      bytes.remove_prefix(n);
    }
  }
  while (!bytes.empty()) {
    if (!chunk_ || chunk_.available() == 0) chunk_ = NewChunk(bytes.size());
    uint32_t offset = static_cast<uint32_t>(chunk_.size());
    size_t n = chunk_.Append(bytes);
    pieces_.push_back(Piece{chunk_, offset, static_cast<uint32_t>(n)});
    bytes.remove_prefix(n);
  }
}

void OutQueue::AppendShared(const protocol::SharedBytes& frame) {
  if (frame.size() == 0) return;
  pieces_.push_back(Piece{frame, 0, static_cast<uint32_t>(frame.size())});
  bytes_ += frame.size();
}

void OutQueue::AppendShared(const protocol::SharedBytes& block, uint32_t offset, uint32_t length) {
  if (length == 0) return;
  pieces_.push_back(Piece{block, offset, length});
  bytes_ += length;
}

size_t OutQueue::Gather(size_t skip, iovec* iov, size_t max, size_t* total) const {
  size_t count = 0;
  size_t covered = 0;
  for (size_t i = head_; i < pieces_.size() && count < max; ++i) {
    const Piece& piece = pieces_[i];
    size_t offset = piece.offset;
    size_t length = piece.length;
    if (skip >= length) {
      skip -= length;
      continue;
    }
    offset += skip;
    length -= skip;
    skip = 0;
    iov[count].iov_base = piece.block.data() + offset;
    iov[count].iov_len = length;
    covered += length;
    ++count;
  }
  *total = covered;
  return count;
}

void OutQueue::Consume(size_t n) {
  n = std::min(n, bytes_);
  bytes_ -= n;
  while (n > 0) {
    Piece& piece = pieces_[head_];
    if (n < piece.length) {
      piece.offset += static_cast<uint32_t>(n);
      piece.length -= static_cast<uint32_t>(n);
      break;
    }
    n -= piece.length;
    piece.block.Reset();
    ++head_;
  }
  if (head_ == pieces_.size()) {
    // A backlog that built up behind a slow reader may have grown the vector a lot; an idle
    // connection should not keep that capacity.
    if (pieces_.capacity() > kKeptPieces) {
      std::vector<Piece>().swap(pieces_);
    } else {
      pieces_.clear();
    }
    head_ = 0;
    ReleaseChunkIfIdle();
  } else if (head_ >= 64 && head_ * 2 >= pieces_.size()) {
    // Moving the live tail to the front keeps the vector from growing without bound while a
    // slow reader always has something queued.
    pieces_.erase(pieces_.begin(), pieces_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

void OutQueue::ReleaseChunkIfIdle() {
  // Only the queue references its chunk now: recycle it so idle connections hold no buffer.
  if (chunk_ && chunk_.use_count() == 1 && chunk_.capacity() == kChunkSize) {
    chunk_.Clear();
    auto& free = FreeChunks();
    if (free.size() < kMaxFreeChunks) free.push_back(std::move(chunk_));
  }
  chunk_.Reset();
}

void OutQueue::Clear() {
  pieces_.clear();
  head_ = 0;
  bytes_ = 0;
  ReleaseChunkIfIdle();
}

}  // namespace herald::server
