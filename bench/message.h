#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace herald::bench {

// Every benchmark payload starts with a fixed-size text header, then filler up to the payload
// size:
//
//   'h' | publisher: 4 hex | sequence: 12 hex | send time: 16 hex (ns) | '.' filler ...
//   0     1                  5                  17                       33
//
// Text (lowercase hex) rather than binary so the same payload stays valid in an SSE data line
// and a WebSocket text frame when those transports are added. The 32 digits are four groups of
// eight, decoded eight at a time (see detail::Hex8). The send time is the client's uv_hrtime()
// (CLOCK_MONOTONIC), meaningful only inside the process that sent it.
inline constexpr size_t kHeaderSize = 33;
inline constexpr uint32_t kMaxPublishers = 0xffff;
// The publisher id of the probe messages a chain run sends during setup (pubsub_run.cc). Real
// publishers have ids below kMaxPublishers, so a probe is never taken for a benchmark message.
inline constexpr uint32_t kProbePublisher = kMaxPublishers;
inline constexpr uint64_t kMaxSequence = (uint64_t{1} << 48) - 1;

struct PayloadHeader {
  uint32_t publisher = 0;
  uint64_t sequence = 0;
  uint64_t sent_ns = 0;
};

namespace detail {

static_assert(std::endian::native == std::endian::little, "Hex8 loads digits little-endian");

inline void PutHex16(char* dst, uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    dst[i] = kDigits[value & 0xf];
    value >>= 4;
  }
}

// Decodes 8 lowercase hex digits at `src` into *out; returns false if any byte is not one.
// SWAR: all eight bytes are checked and converted in one 64-bit word, because this runs once per
// delivery and a digit-by-digit loop was the client's hottest user-space code.
inline bool Hex8(const char* src, uint64_t* out) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = kOnes * 0x80;
  uint64_t x;
  std::memcpy(&x, src, 8);
  if ((x & kHigh) != 0) return false;
  // With every byte below 0x80, adding (0x80 - lo) sets a byte's top bit iff byte >= lo, and
  // no byte carries into the next.
  const uint64_t digit = (x + kOnes * (0x80 - '0')) & ~(x + kOnes * (0x80 - '9' - 1));
  const uint64_t alpha = (x + kOnes * (0x80 - 'a')) & ~(x + kOnes * (0x80 - 'f' - 1));
  if (((digit | alpha) & kHigh) != kHigh) return false;
  // '0'..'9' -> 0..9; 'a'..'f' (bit 6 set) -> 1..6 + 9.
  const uint64_t nibbles = (x & (kOnes * 0x0f)) + 9 * ((x >> 6) & kOnes);
  // The first digit is the lowest byte and the most significant nibble: merge pairs, then
  // pairs of pairs.
  uint64_t v = ((nibbles << 4) | (nibbles >> 8)) & 0x00ff00ff00ff00ffull;
  v = ((v << 8) | (v >> 16)) & 0x0000ffff0000ffffull;
  *out = ((v << 16) | (v >> 32)) & 0xffffffffull;
  return true;
}

inline bool Hex16(const char* src, uint64_t* out) {
  uint64_t hi;
  uint64_t lo;
  if (!Hex8(src, &hi) || !Hex8(src + 8, &lo)) return false;
  *out = (hi << 32) | lo;
  return true;
}

}  // namespace detail

// Writes the header into dst[0, kHeaderSize). The caller keeps publisher <= kMaxPublishers and
// sequence <= kMaxSequence.
inline void EncodeHeader(char* dst, const PayloadHeader& h) {
  dst[0] = 'h';
  detail::PutHex16(dst + 1, (uint64_t{h.publisher} << 48) | h.sequence);
  detail::PutHex16(dst + 17, h.sent_ns);
}

// Parses the header at the start of `payload`. Returns false if the payload is too short or the
// header is malformed (a corrupted or foreign message).
inline bool DecodeHeader(std::string_view payload, PayloadHeader* h) {
  uint64_t id;
  if (payload.size() < kHeaderSize || payload[0] != 'h' ||
      !detail::Hex16(payload.data() + 1, &id) || !detail::Hex16(payload.data() + 17, &h->sent_ns)) {
    return false;
  }
  h->publisher = static_cast<uint32_t>(id >> 48);
  h->sequence = id & kMaxSequence;
  return true;
}

}  // namespace herald::bench
