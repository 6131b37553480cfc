// Shared pieces of the libFuzzer targets in tests/fuzz/: failing loudly, the configuration byte
// in front of every input, and feeding a stream in chunks whose sizes come from the input itself
// (the uWebSockets fuzzing/helpers.h makeChunked idea), so that the fuzzer steers both the bytes
// and the read boundaries.
//
// A stream target is laid out like this (Event, Limits and Parser stand for its own types):
//
//   namespace herald::fuzz {
//   namespace {
//
//   // Parses `stream` the way a connection does, reading it in chunks of `chunk_sizes`.
//   std::vector<Event> ParseStream(std::string_view stream, const Limits& limits,
//                                  ChunkSizes chunk_sizes) {
//     Parser parser(limits);
//     std::string buffer;
//     std::vector<Event> events;
//     const bool ended = FeedInChunks(stream, chunk_sizes, [&](std::string_view chunk) {
//       buffer.append(chunk);
//       ...  // parse what completed, checking each result; return false to stop at an error
//       return true;
//     });
//     if (ended) events.push_back(...);  // the final state
//     return events;
//   }
//
//   void TestOneInput(uint8_t config, std::string_view stream) {
//     const Limits limits = ...;  // from the configuration byte
//     CheckChunkingInvariant(stream, std::bind_front(ParseStream, stream, limits));
//   }
//
//   }  // namespace
//   }  // namespace herald::fuzz
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     return herald::fuzz::RunWithConfigByte(data, size, herald::fuzz::TestOneInput);
//   }
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string_view>

namespace herald::fuzz {

// Aborts unless `ok`. Fuzz targets must fail loudly on any broken invariant, in every build type
// (assert() vanishes under NDEBUG).
inline void Check(bool ok) {
  if (!ok) std::abort();
}

// True if `part` lies entirely inside the bytes of `whole` (pointer containment, not substring
// search). An empty `part` counts when its data() points into `whole` or just past its end.
inline bool Inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// True if `a` and `b` share at least one byte of memory. An empty view overlaps nothing.
inline bool Overlaps(std::string_view a, std::string_view b) {
  return a.data() < b.data() + b.size() && b.data() < a.data() + a.size();
}

// Runs `target` on a fuzz input laid out as one configuration byte followed by the bytes it
// applies to: calls target(config, rest), where `rest` views the fuzzer's buffer and is valid only
// during the call. An empty input is skipped. Returns 0, what LLVMFuzzerTestOneInput must return.
template <typename Target>
int RunWithConfigByte(const uint8_t* data, size_t size, Target&& target) {
  if (size < 1) return 0;
  target(data[0], std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}

// Delivers `stream` front to back in consecutive chunks, the way reads arrive on a connection:
// each chunk's size is next_chunk() clamped to what is left, and deliver(chunk) is called with it.
// next_chunk (a ChunkSizes, or any callable returning a size >= 1) is called once per chunk and
// only while bytes remain. deliver returns true to go on, false to stop early (after a sticky
// error, say); the chunks delivered are always a prefix of `stream`, in order.
// Returns true if the whole stream was delivered and no call to deliver returned false.
template <typename NextChunk, typename Deliver>
bool FeedInChunks(std::string_view stream, NextChunk&& next_chunk, Deliver&& deliver) {
  size_t fed = 0;
  while (fed < stream.size()) {
    const size_t n = std::min<size_t>(next_chunk(), stream.size() - fed);
    if (!deliver(stream.substr(fed, n))) return false;
    fed += n;
  }
  return true;
}

// How one run cuts its stream into reads: a source of chunk sizes for FeedInChunks, which clamps
// each size to what is left of the stream. Every size is at least 1. A copy carries on from the
// same position independently of the original.
class ChunkSizes {
 public:
  // The whole stream in one read.
  static ChunkSizes Whole() { return ChunkSizes(SIZE_MAX, {}); }

  // One byte per read.
  static ChunkSizes OneByte() { return ChunkSizes(1, {}); }

  // Sizes 1..32 read from the stream's own bytes, cyclically, starting at its last byte and
  // walking backwards, so that the first splits do not simply mirror the first bytes of the
  // stream; 1 forever for an empty stream. Keeps a view of `stream`, which must outlive it.
  static ChunkSizes FromStream(std::string_view stream) { return ChunkSizes(0, stream); }

  // The size of the next read.
  size_t operator()() {
    if (fixed_ != 0) return fixed_;
    if (stream_.empty()) return 1;
    const auto byte = static_cast<uint8_t>(stream_[stream_.size() - 1 - cursor_ % stream_.size()]);
    ++cursor_;
    return 1 + byte % 32;
  }

 private:
  ChunkSizes(size_t fixed, std::string_view stream) : fixed_(fixed), stream_(stream) {}

  size_t fixed_;  // the size of every read, or 0 to read the sizes from stream_
  std::string_view stream_;
  size_t cursor_ = 0;  // sizes read from stream_ so far
};

// Byte-by-byte runs are quadratic in most stream targets, so they only happen on streams up to
// this size.
inline constexpr size_t kMaxByteByByteSize = 512;

// The chunking invariant: running over `stream` in one read, in reads sized by
// ChunkSizes::FromStream(stream), and (for streams of at most kMaxByteByByteSize bytes) one byte
// per read must give results that agree. drive(ChunkSizes) performs one run and returns its
// result, of the same type every time; agree(run, whole_run) compares a chunked run with the
// one-read run and defaults to ==. Aborts through Check() on a disagreement.
template <typename Drive, typename Agree = std::equal_to<>>
void CheckChunkingInvariant(std::string_view stream, Drive&& drive, Agree&& agree = {}) {
  const auto whole = drive(ChunkSizes::Whole());
  Check(agree(drive(ChunkSizes::FromStream(stream)), whole));
  if (stream.size() <= kMaxByteByByteSize) Check(agree(drive(ChunkSizes::OneByte()), whole));
}

}  // namespace herald::fuzz
