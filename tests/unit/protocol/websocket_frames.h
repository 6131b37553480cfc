#pragma once

// Frames for the WebSocket unit tests (websocket_test.cc, websocket_encoding_test.cc): header
// bytes, masking as a client does, and decoder limits.

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/websocket.h"

namespace herald::protocol::ws_test {

// First header byte: FIN plus opcode (RSV bits only where a test sets them on purpose).
inline constexpr uint8_t kFin = 0x80;
inline constexpr uint8_t kCont = 0x0;
inline constexpr uint8_t kText = 0x1;
inline constexpr uint8_t kBin = 0x2;
inline constexpr uint8_t kClose = 0x8;
inline constexpr uint8_t kPing = 0x9;
inline constexpr uint8_t kPong = 0xA;

inline constexpr uint32_t kKey = 0x37fa213d;  // RFC 6455 section 5.7's masking key

// A frame header with an arbitrary first byte, mask bit, declared length and length encoding
// (ext 0: shortest; 2: 16-bit; 8: 64-bit even when shorter would do), followed by the masking key
// when masked.
inline std::string Header(uint8_t b0, bool masked, uint64_t length, int ext = 0,
                          uint32_t key = kKey) {
  std::string h(1, static_cast<char>(b0));
  if (ext == 0) ext = length < 126 ? 0 : length <= 0xFFFF ? 2 : 8;
  const uint8_t m = masked ? 0x80 : 0;
  if (ext == 0) {
    h.push_back(static_cast<char>(m | length));
  } else {
    h.push_back(static_cast<char>(m | (ext == 2 ? 126 : 127)));
    for (int i = ext - 1; i >= 0; --i) h.push_back(static_cast<char>((length >> (8 * i)) & 0xFF));
  }
  if (masked) {
    for (int i = 3; i >= 0; --i) h.push_back(static_cast<char>((key >> (8 * i)) & 0xFF));
  }
  return h;
}

inline std::string MaskBytes(std::string_view payload, uint32_t key) {
  std::string out(payload);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(out[i] ^ ((key >> (8 * (3 - (i & 3)))) & 0xFF));
  }
  return out;
}

// A client frame: masked payload with its header.
inline std::string Masked(uint8_t b0, std::string_view payload, int ext = 0, uint32_t key = kKey) {
  return Header(b0, true, payload.size(), ext, key) + MaskBytes(payload, key);
}

inline std::string CloseFrame(uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  return Masked(kFin | kClose, payload);
}

inline WsDecoderLimits ServerFrames() {
  WsDecoderLimits limits;
  limits.client_frames = false;
  return limits;
}

inline WsDecoderLimits MaxMessage(uint64_t size) {
  WsDecoderLimits limits;
  limits.max_message_size = size;
  return limits;
}

inline std::string Repeat(std::string_view piece, size_t times) {
  std::string s;
  for (size_t i = 0; i < times; ++i) s.append(piece);
  return s;
}

}  // namespace herald::protocol::ws_test
