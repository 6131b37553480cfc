#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace herald::protocol {

// A reference-counted block of bytes, the unit of sharing on the fan-out path: a published
// message is encoded once per wire format into one SharedBytes, and every subscriber's output
// queue holds a reference to it instead of a copy.
//
//   SharedBytes a ──┐
//   SharedBytes b ──┼──► [ refs | capacity | size | data bytes ...... ]   one malloc
//   SharedBytes c ──┘
//
// The count is not atomic: herald is single-threaded and a block never crosses threads.
// Bytes below size() are immutable once a second reference exists; the owner of the only
// reference may still append up to capacity() (output queues fill their chunks that way).
class SharedBytes {
 public:
  SharedBytes() = default;
  SharedBytes(const SharedBytes& other) : block_(other.block_) {
    if (block_ != nullptr) ++block_->refs;
  }
  SharedBytes(SharedBytes&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  SharedBytes& operator=(const SharedBytes& other) {
    SharedBytes copy(other);
    std::swap(block_, copy.block_);
    return *this;
  }
  SharedBytes& operator=(SharedBytes&& other) noexcept {
    SharedBytes moved(std::move(other));
    std::swap(block_, moved.block_);
    return *this;
  }
  ~SharedBytes() { Reset(); }

  // Allocates an empty block able to hold `capacity` bytes (at most 4 GiB). Aborts if memory is
  // exhausted: herald cannot continue meaningfully without memory, and an exception must not
  // unwind through libuv's C frames.
  static SharedBytes Allocate(size_t capacity) {
    void* mem = std::malloc(sizeof(Block) + capacity);
    if (mem == nullptr) std::abort();
    SharedBytes bytes;
    bytes.block_ = new (mem) Block{1, static_cast<uint32_t>(capacity), 0, 0};
    return bytes;
  }
  // A new block holding a copy of `data`.
  static SharedBytes Copy(std::string_view data) {
    SharedBytes bytes = Allocate(data.size());
    std::memcpy(bytes.data(), data.data(), data.size());
    bytes.block_->size = static_cast<uint32_t>(data.size());
    return bytes;
  }

  // Drops this reference; the block is freed with its last reference.
  void Reset() {
    if (block_ != nullptr && --block_->refs == 0) std::free(block_);
    block_ = nullptr;
  }

  explicit operator bool() const { return block_ != nullptr; }
  char* data() const { return reinterpret_cast<char*>(block_ + 1); }
  size_t size() const { return block_ != nullptr ? block_->size : 0; }
  size_t capacity() const { return block_ != nullptr ? block_->capacity : 0; }
  size_t available() const { return capacity() - size(); }
  uint32_t use_count() const { return block_ != nullptr ? block_->refs : 0; }
  std::string_view view() const { return {data(), size()}; }
  bool same_block(const SharedBytes& other) const { return block_ == other.block_; }

  // Appends up to available() bytes; returns how many were copied. Only for a block whose bytes
  // nobody else reads past the old size.
  size_t Append(std::string_view bytes) {
    size_t n = bytes.size() < available() ? bytes.size() : available();
    std::memcpy(data() + block_->size, bytes.data(), n);
    block_->size += static_cast<uint32_t>(n);
    return n;
  }
  // Marks `n` more bytes written directly through data() as used.
  void Grow(size_t n) { block_->size += static_cast<uint32_t>(n); }
  // Forgets the content, for reusing a block that has no other reference.
  void Clear() { block_->size = 0; }

 private:
  struct Block {
    uint32_t refs;
    uint32_t capacity;
    uint32_t size;
    uint32_t pad;  // keeps data() 16-byte aligned
  };
  Block* block_ = nullptr;
};

}  // namespace herald::protocol
