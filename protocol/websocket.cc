#include "protocol/websocket.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace herald::protocol {
namespace {

// RFC 6455 section 1.3.
constexpr std::string_view kWsGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

constexpr size_t kMaxControlPayload = 125;
constexpr size_t kMaxCloseReason = kMaxControlPayload - 2;

// A message buffer that grew beyond this is released after its message instead of kept for the
// next one: idle connections should not pin the memory of their largest message.
constexpr size_t kKeptMessageCapacity = 64 * 1024;

// At most this much of a frame's announced length is reserved before its bytes arrive.
constexpr uint64_t kMaxReserveAhead = 16 * 1024 * 1024;

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// A Sec-WebSocket-Key is "a randomly selected 16-byte value that has been base64-encoded": 22
// base64 characters and "==". Decoding it (OpenSSL also checks the characters) must give 16 bytes
// plus the two zero bytes EVP_DecodeBlock produces for the padding.
bool IsValidWsKey(std::string_view key) {
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  if (!std::all_of(key.begin(), key.begin() + 22, IsBase64Char)) return false;
  unsigned char decoded[18];
  return EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(key.data()), 24) == 18;
}

void PutBigEndian(uint64_t value, int bytes, char* out) {
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
}

std::string_view ControlPayload(WsOpcode opcode, std::string_view payload) {
  if ((static_cast<uint8_t>(opcode) & 0x8) != 0 && payload.size() > kMaxControlPayload) {
    payload = payload.substr(0, kMaxControlPayload);
  }
  return payload;
}

std::string_view ReasonPhrase(WsHandshakeResult result) {
  switch (result) {
    case WsHandshakeResult::kOk:
      return "Switching Protocols";
    case WsHandshakeResult::kUnsupportedVersion:
      return "Upgrade Required";
    default:
      return "Bad Request";
  }
}

std::string_view Explanation(WsHandshakeResult result) {
  switch (result) {
    case WsHandshakeResult::kOk:
      return "";
    case WsHandshakeResult::kNotGet:
      return "WebSocket handshake must use GET";
    case WsHandshakeResult::kNotHttp11:
      return "WebSocket handshake needs HTTP/1.1";
    case WsHandshakeResult::kNoHost:
      return "WebSocket handshake without Host";
    case WsHandshakeResult::kNoUpgrade:
      return "Upgrade header must list websocket";
    case WsHandshakeResult::kNoConnectionUpgrade:
      return "Connection header must list Upgrade";
    case WsHandshakeResult::kBadKey:
      return "Sec-WebSocket-Key must be base64 of 16 bytes";
    case WsHandshakeResult::kNoVersion:
      return "Sec-WebSocket-Version missing";
    case WsHandshakeResult::kUnsupportedVersion:
      return "Only WebSocket version 13 is supported";
  }
  return "";
}

}  // namespace

bool IsValidWsCloseCode(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

// ---------------------------------------------------------------------------------------------
// Handshake.

int WsHandshakeStatus(WsHandshakeResult result) {
  switch (result) {
    case WsHandshakeResult::kOk:
      return 101;
    case WsHandshakeResult::kUnsupportedVersion:
      return 426;
    default:
      return 400;
  }
}

WsHandshakeResult CheckWsHandshake(const HttpRequest& request) {
  if (request.method != "GET") return WsHandshakeResult::kNotGet;
  if (request.version_major < 1 || (request.version_major == 1 && request.version_minor < 1)) {
    return WsHandshakeResult::kNotHttp11;
  }
  if (request.FindHeader("Host") == nullptr) return WsHandshakeResult::kNoHost;
  if (!request.HeaderHasToken("Upgrade", "websocket")) return WsHandshakeResult::kNoUpgrade;
  if (!request.HeaderHasToken("Connection", "Upgrade")) {
    return WsHandshakeResult::kNoConnectionUpgrade;
  }
  // Exactly one key: two would make the accept value ambiguous.
  if (request.HeaderCount("Sec-WebSocket-Key") != 1 ||
      !IsValidWsKey(request.Header("Sec-WebSocket-Key"))) {
    return WsHandshakeResult::kBadKey;
  }
  const size_t versions = request.HeaderCount("Sec-WebSocket-Version");
  if (versions == 0) return WsHandshakeResult::kNoVersion;
  if (versions != 1 || request.Header("Sec-WebSocket-Version") != "13") {
    return WsHandshakeResult::kUnsupportedVersion;
  }
  return WsHandshakeResult::kOk;
}

std::string WsAcceptKey(std::string_view key) {
  std::string input;
  input.reserve(key.size() + kWsGuid.size());
  input.append(key);
  input.append(kWsGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr) != 1 ||
      digest_size != 20) {
    return {};
  }
  // 20 bytes encode to 28 characters; EVP_EncodeBlock adds a NUL.
  unsigned char encoded[29];
  const int size = EVP_EncodeBlock(encoded, digest, 20);
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(size));
}

std::string BuildWsHandshakeResponse(const HttpRequest& request, std::string_view extra_headers) {
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  response.append(WsAcceptKey(request.Header("Sec-WebSocket-Key")));
  response.append("\r\n");
  response.append(extra_headers);
  response.append("\r\n");
  return response;
}

std::string BuildWsHandshakeRejection(WsHandshakeResult result) {
  const std::string_view body = Explanation(result);
  std::string response = "HTTP/1.1 ";
  response.append(std::to_string(WsHandshakeStatus(result)));
  response.push_back(' ');
  response.append(ReasonPhrase(result));
  response.append("\r\n");
  if (result == WsHandshakeResult::kUnsupportedVersion) {
    response.append("Sec-WebSocket-Version: 13\r\n");
  }
  response.append("Content-Type: text/plain\r\nContent-Length: ");
  response.append(std::to_string(body.size() + 1));
  response.append("\r\nConnection: close\r\n\r\n");
  response.append(body);
  response.push_back('\n');
  return response;
}

// ---------------------------------------------------------------------------------------------
// Decoder.

void WsDecoder::Reset() {
  state_ = State::kHeader;
  header_len_ = 0;
  header_need_ = 2;
  remaining_ = 0;
  in_message_ = false;
  release_message_ = false;
  std::string().swap(message_);
  utf8_.Reset();
  control_len_ = 0;
  last_event_ = WsEvent::kNeedMore;
  close_code_ = 0;
  error_reason_ = {};
}

WsEvent WsDecoder::Fail(uint16_t code, std::string_view reason) {
  state_ = State::kFailed;
  close_code_ = code;
  error_reason_ = reason;
  return WsEvent::kError;
}

bool WsDecoder::OnHeaderByte() {
  const uint8_t b = header_[header_len_ - 1];
  if (header_len_ == 1) {
    // FIN, RSV1-3, opcode.
    if ((b & 0x70) != 0) {
      Fail(kWsCloseProtocolError, "reserved bits set without an extension");
      return false;
    }
    const uint8_t op = b & 0x0F;
    if (op > 0xA || (op > 0x2 && op < 0x8)) {
      Fail(kWsCloseProtocolError, "reserved opcode");
      return false;
    }
    frame_opcode_ = static_cast<WsOpcode>(op);
    frame_fin_ = (b & 0x80) != 0;
    if (control_frame() && !frame_fin_) {
      Fail(kWsCloseProtocolError, "fragmented control frame");
      return false;
    }
    if (frame_opcode_ == WsOpcode::kContinuation && !in_message_) {
      Fail(kWsCloseProtocolError, "continuation frame without a message to continue");
      return false;
    }
    if ((frame_opcode_ == WsOpcode::kText || frame_opcode_ == WsOpcode::kBinary) && in_message_) {
      Fail(kWsCloseProtocolError, "new data frame inside a fragmented message");
      return false;
    }
    return true;
  }
  if (header_len_ == 2) {
    // MASK, 7-bit length.
    frame_masked_ = (b & 0x80) != 0;
    if (frame_masked_ != limits_.client_frames) {
      Fail(kWsCloseProtocolError, frame_masked_ ? "masked server frame" : "unmasked client frame");
      return false;
    }
    const uint8_t length7 = b & 0x7F;
    if (control_frame() && length7 > kMaxControlPayload) {
      Fail(kWsCloseProtocolError, "control frame longer than 125 bytes");
      return false;
    }
    if (frame_opcode_ == WsOpcode::kClose && length7 == 1) {
      Fail(kWsCloseProtocolError, "close frame with a 1-byte payload");
      return false;
    }
    const uint8_t extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
    header_need_ = static_cast<uint8_t>(2 + extended + (frame_masked_ ? 4 : 0));
    if (extended != 0) return true;
    frame_length_ = length7;
  } else if (header_len_ == 4 && header_need_ - (frame_masked_ ? 4 : 0) == 4) {
    frame_length_ = (uint64_t{header_[2]} << 8) | header_[3];
  } else if (header_len_ == 10 && header_need_ - (frame_masked_ ? 4 : 0) == 10) {
    if ((header_[2] & 0x80) != 0) {
      Fail(kWsCloseProtocolError, "64-bit payload length with the top bit set");
      return false;
    }
    frame_length_ = 0;
    for (int i = 2; i < 10; ++i) frame_length_ = (frame_length_ << 8) | header_[i];
  } else {
    return true;  // the rest of an extended length, or the masking key
  }
  // The length is known: refuse an oversized message before buffering any of it. (Non-minimal
  // length encodings are accepted: RFC 6455 only requires senders to use the minimal one.)
  if (!control_frame() && frame_length_ > limits_.max_message_size - message_.size()) {
    Fail(kWsCloseMessageTooBig, "message too big");
    return false;
  }
  return true;
}

void WsDecoder::StartPayload() {
  if (frame_masked_) std::memcpy(mask_, header_ + header_need_ - 4, 4);
  mask_phase_ = 0;
  remaining_ = frame_length_;
  if (control_frame()) {
    control_len_ = 0;
  } else {
    if (frame_opcode_ != WsOpcode::kContinuation) {
      in_message_ = true;
      message_opcode_ = frame_opcode_;
      utf8_.Reset();
    }
    // Make room for the frame now (the limit was checked), rather than letting the buffer
    // double its way up while a large frame streams in: each doubling copies everything and
    // touches fresh pages. Reserved pages cost no memory until payload bytes are written to
    // them, so a peer that announces a big frame and sends nothing gains little; the cap keeps
    // a huge configured limit from turning one header into a huge allocation. Growing at least
    // geometrically keeps many small fragments linear.
    const uint64_t needed = message_.size() + std::min<uint64_t>(frame_length_, kMaxReserveAhead);
    if (needed > message_.capacity()) {
      const uint64_t doubled =
          std::min<uint64_t>(2 * message_.capacity(), limits_.max_message_size);
      message_.reserve(static_cast<size_t>(std::max(needed, doubled)));
    }
  }
  state_ = State::kPayload;
}

void WsDecoder::Unmask(char* data, size_t length) {
  if (!frame_masked_) return;
  // XOR eight bytes at a time with the key rotated to the current phase; eight is a multiple of
  // four, so the phase is the same after each word.
  uint8_t rotated[8];
  for (int i = 0; i < 8; ++i) rotated[i] = mask_[(mask_phase_ + i) & 3];
  uint64_t key;
  std::memcpy(&key, rotated, sizeof(key));
  size_t i = 0;
  for (; i + 8 <= length; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, sizeof(word));
    word ^= key;
    std::memcpy(data + i, &word, sizeof(word));
  }
  for (; i < length; ++i) data[i] = static_cast<char>(data[i] ^ rotated[i & 7]);
  mask_phase_ = static_cast<uint8_t>((mask_phase_ + length) & 3);
}

bool WsDecoder::TakePayload(const char* data, size_t length, size_t* used) {
  *used = length;
  if (control_frame()) {
    char* dest = control_ + control_len_;
    std::memcpy(dest, data, length);
    Unmask(dest, length);
    control_len_ = static_cast<uint8_t>(control_len_ + length);
  } else {
    const size_t old_size = message_.size();
    message_.append(data, length);
    char* dest = message_.data() + old_size;
    Unmask(dest, length);
    if (message_opcode_ == WsOpcode::kText) {
      // Fail fast (Autobahn 6.4.x): the byte that breaks UTF-8 ends the connection even when the
      // rest of its frame has not arrived.
      size_t invalid_at = 0;
      if (utf8_.Feed(std::string_view(dest, length), &invalid_at) == Utf8Result::kInvalid) {
        *used = invalid_at + 1;
        Fail(kWsCloseInvalidPayload, "invalid UTF-8 in a text message");
        return false;
      }
    }
  }
  remaining_ -= length;
  return true;
}

WsEvent WsDecoder::FinishFrame() {
  state_ = State::kHeader;
  header_len_ = 0;
  header_need_ = 2;
  switch (frame_opcode_) {
    case WsOpcode::kContinuation:
    case WsOpcode::kText:
    case WsOpcode::kBinary:
      if (!frame_fin_) return WsEvent::kNeedMore;
      if (message_opcode_ == WsOpcode::kText && !utf8_.complete()) {
        return Fail(kWsCloseInvalidPayload, "text message ends inside a UTF-8 sequence");
      }
      in_message_ = false;
      release_message_ = true;
      event_opcode_ = message_opcode_;
      return WsEvent::kMessage;
    case WsOpcode::kPing:
      return WsEvent::kPing;
    case WsOpcode::kPong:
      return WsEvent::kPong;
    case WsOpcode::kClose:
      return ParseClose();
  }
  return Fail(kWsCloseProtocolError, "reserved opcode");  // unreachable: checked in the header
}

WsEvent WsDecoder::ParseClose() {
  if (control_len_ == 0) {
    close_code_ = kWsCloseNoStatus;
  } else {
    // OnHeaderByte() refused a 1-byte payload, so the code is there.
    const auto* bytes = reinterpret_cast<const uint8_t*>(control_);
    const auto code = static_cast<uint16_t>((bytes[0] << 8) | bytes[1]);
    if (!IsValidWsCloseCode(code)) return Fail(kWsCloseProtocolError, "invalid close code");
    const std::string_view reason(control_ + 2, control_len_ - 2u);
    if (!IsValidUtf8(reason)) return Fail(kWsCloseInvalidPayload, "invalid UTF-8 in close reason");
    close_code_ = code;
  }
  state_ = State::kClosed;
  return WsEvent::kClose;
}

std::string_view WsDecoder::payload() const {
  switch (last_event_) {
    case WsEvent::kMessage:
      return message_;
    case WsEvent::kPing:
    case WsEvent::kPong:
      return std::string_view(control_, control_len_);
    default:
      return {};
  }
}

std::string_view WsDecoder::close_reason() const {
  if (last_event_ == WsEvent::kError) return error_reason_;
  if (last_event_ == WsEvent::kClose && control_len_ >= 2) {
    return std::string_view(control_ + 2, control_len_ - 2u);
  }
  return {};
}

WsEvent WsDecoder::Feed(std::string_view data, size_t* consumed) {
  last_event_ = Decode(data, consumed);
  return last_event_;
}

WsEvent WsDecoder::Decode(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (state_ == State::kFailed) return WsEvent::kError;
  if (state_ == State::kClosed) {
    *consumed = data.size();
    return WsEvent::kNeedMore;
  }
  if (release_message_) {
    release_message_ = false;
    if (message_.capacity() > kKeptMessageCapacity) {
      std::string().swap(message_);
    } else {
      message_.clear();
    }
  }
  size_t pos = 0;
  for (;;) {
    if (state_ == State::kHeader) {
      while (header_len_ < header_need_) {
        if (pos == data.size()) {
          *consumed = pos;
          return WsEvent::kNeedMore;
        }
        header_[header_len_++] = static_cast<uint8_t>(data[pos++]);
        if (!OnHeaderByte()) {
          *consumed = pos;
          return WsEvent::kError;
        }
      }
      StartPayload();
    }
    const size_t length = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - pos));
    if (length > 0) {
      size_t used = 0;
      const bool ok = TakePayload(data.data() + pos, length, &used);
      pos += used;
      if (!ok) {
        *consumed = pos;
        return WsEvent::kError;
      }
    }
    if (remaining_ > 0) {
      *consumed = pos;
      return WsEvent::kNeedMore;
    }
    const WsEvent event = FinishFrame();
    if (event != WsEvent::kNeedMore) {
      *consumed = pos;
      return event;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Encoders.

size_t WsFrameHeaderSize(uint64_t payload_size) {
  if (payload_size < 126) return 2;
  if (payload_size <= 0xFFFF) return 4;
  return 10;
}

size_t WriteWsFrameHeader(WsOpcode opcode, bool fin, uint64_t payload_size, char* out) {
  out[0] = static_cast<char>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(opcode));
  if (payload_size < 126) {
    out[1] = static_cast<char>(payload_size);
    return 2;
  }
  if (payload_size <= 0xFFFF) {
    out[1] = 126;
    PutBigEndian(payload_size, 2, out + 2);
    return 4;
  }
  out[1] = 127;
  PutBigEndian(payload_size, 8, out + 2);
  return 10;
}

void AppendWsFrame(WsOpcode opcode, std::string_view payload, std::string* out, bool fin) {
  payload = ControlPayload(opcode, payload);
  char header[10];
  out->append(header, WriteWsFrameHeader(opcode, fin, payload.size(), header));
  out->append(payload);
}

SharedBytes EncodeWsFrame(WsOpcode opcode, std::string_view payload) {
  payload = ControlPayload(opcode, payload);
  SharedBytes frame = SharedBytes::Allocate(WsFrameHeaderSize(payload.size()) + payload.size());
  const size_t header_size = WriteWsFrameHeader(opcode, true, payload.size(), frame.data());
  std::memcpy(frame.data() + header_size, payload.data(), payload.size());
  frame.Grow(header_size + payload.size());
  return frame;
}

void AppendWsCloseFrame(uint16_t code, std::string_view reason, std::string* out) {
  if (code == kWsCloseNoStatus || code == kWsCloseAbnormal || code == 1015) {
    AppendWsFrame(WsOpcode::kClose, {}, out);
    return;
  }
  if (reason.size() > kMaxCloseReason) {
    // Cut before the character that straddles the limit: back up over continuation bytes.
    size_t cut = kMaxCloseReason;
    while (cut > 0 && (static_cast<uint8_t>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  char payload[kMaxControlPayload];
  PutBigEndian(code, 2, payload);
  // An empty reason may come with a null data pointer, which memcpy must never see.
  if (!reason.empty()) std::memcpy(payload + 2, reason.data(), reason.size());
  AppendWsFrame(WsOpcode::kClose, std::string_view(payload, 2 + reason.size()), out);
}

void AppendWsMaskedFrame(WsOpcode opcode, std::string_view payload, uint32_t mask_key,
                         std::string* out, bool fin) {
  payload = ControlPayload(opcode, payload);
  char header[14];
  size_t header_size = WriteWsFrameHeader(opcode, fin, payload.size(), header);
  header[1] = static_cast<char>(header[1] | 0x80);
  char key[4];
  PutBigEndian(mask_key, 4, key);
  std::memcpy(header + header_size, key, 4);
  header_size += 4;
  out->append(header, header_size);
  const size_t start = out->size();
  out->append(payload);
  for (size_t i = 0; i < payload.size(); ++i) {
    (*out)[start + i] = static_cast<char>((*out)[start + i] ^ key[i & 3]);
  }
}

}  // namespace herald::protocol
