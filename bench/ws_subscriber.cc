#include "bench/ws_subscriber.h"

#include <openssl/evp.h>

#include <cstring>
#include <random>
#include <utility>

#include "bench/json_push.h"
#include "fmt/format.h"

namespace herald::bench {
namespace {

constexpr std::string_view kWsGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// Larger messages are not from a benchmark run; refuse rather than buffer them.
constexpr uint64_t kMaxMessage = uint64_t{1} << 30;

enum Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xa,
};

std::string Base64(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3), '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

// Sec-WebSocket-Accept for `key`: base64(SHA-1(key + GUID)). Empty if OpenSSL fails.
std::string AcceptFor(std::string_view key) {
  std::string input(key);
  input += kWsGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha1(), nullptr) != 1) return {};
  return Base64(digest, size);
}

// Random bytes for handshake keys and masks: clients must not be predictable to proxies, but a
// benchmark needs no cryptographic quality, so one seeded generator serves the whole process.
std::mt19937& Random() {
  static std::mt19937 gen{std::random_device{}()};
  return gen;
}

// The header of a frame with FIN set, `opcode`, no mask, and a payload of `size` bytes.
std::string FrameHeader(uint8_t opcode, uint64_t size) {
  std::string h(1, static_cast<char>(0x80 | opcode));
  if (size <= 125) {
    h += static_cast<char>(size);
  } else if (size <= 0xffff) {
    h += static_cast<char>(126);
    h += static_cast<char>(size >> 8);
    h += static_cast<char>(size & 0xff);
  } else {
    h += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) h += static_cast<char>((size >> shift) & 0xff);
  }
  return h;
}

}  // namespace

WsSubscriber::WsSubscriber(LoopContext* ctx, SubscriberEvents* events, uint32_t index,
                           const std::string* authority, const std::string* extra_headers,
                           const std::string& channel, std::string pattern, size_t payload)
    : GatewaySubscriber(ctx, events, index, authority, extra_headers),
      channel_(channel),
      pattern_(std::move(pattern)),
      payload_(payload),
      mask_state_(Random()() | 1) {
  if (pattern_.empty()) {
    fast_header_ = FrameHeader(kText, payload_);
  } else {
    json_prefix_ = fmt::format("{{\"channel\":\"{}\",\"data\":\"", channel_);
  }
}

void WsSubscriber::QueueRequest() {
  unsigned char nonce[16];
  for (unsigned char& b : nonce) b = static_cast<unsigned char>(Random()());
  key_ = Base64(nonce, sizeof(nonce));
  const std::string path = pattern_.empty() ? "/ws/" + PercentEncode(channel_) : "/ws";
  Queue(
      fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n{}\r\n",
                  path, authority(), key_, extra_headers()));
}

bool WsSubscriber::OnResponseHead(std::string_view headers) {
  std::string_view accept;
  if (!FindHeader(headers, "Sec-WebSocket-Accept", &accept)) {
    Abort("the WebSocket handshake response has no Sec-WebSocket-Accept");
    return false;
  }
  const std::string expected = AcceptFor(key_);
  if (expected.empty() || accept != expected) {
    Abort(fmt::format("wrong Sec-WebSocket-Accept '{}' (expected '{}')", accept, expected));
    return false;
  }
  if (pattern_.empty()) {
    // /ws/<channel> subscribed before it answered.
    events_->OnSubscribed(index_);
  } else {
    QueueFrame(kText, fmt::format("[\"PSUBSCRIBE\",\"{}\"]", pattern_));
  }
  return true;
}

void WsSubscriber::QueueFrame(uint8_t opcode, std::string_view payload) {
  std::string header = FrameHeader(opcode, payload.size());
  header[1] = static_cast<char>(header[1] | 0x80);  // MASK
  char* p = QueueSpace(header.size() + 4 + payload.size());
  std::memcpy(p, header.data(), header.size());
  p += header.size();
  // xorshift32
  uint32_t x = mask_state_;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  mask_state_ = x;
  unsigned char mask[4];
  std::memcpy(mask, &x, 4);
  std::memcpy(p, mask, 4);
  p += 4;
  for (size_t i = 0; i < payload.size(); ++i) {
    p[i] = static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i & 3]);
  }
}

size_t WsSubscriber::OnStream(const char* data, size_t len, uint64_t now_ns) {
  const size_t fast = fast_header_.size();
  size_t off = 0;
  while (off < len) {
    const char* p = data + off;
    const size_t avail = len - off;
    if (fast != 0 && !in_fragments_ && avail >= fast + payload_ &&
        std::memcmp(p, fast_header_.data(), fast) == 0) {
      events_->OnMessage(index_, std::string_view(p + fast, payload_), now_ns);
      off += fast + payload_;
      if (closing()) return len;
      continue;
    }
    if (avail < 2) break;
    const auto b0 = static_cast<uint8_t>(p[0]);
    const auto b1 = static_cast<uint8_t>(p[1]);
    if ((b1 & 0x80) != 0) {
      Abort("the server sent a masked frame");
      return len;
    }
    if ((b0 & 0x70) != 0) {
      Abort("the server set RSV bits (no extension was negotiated)");
      return len;
    }
    uint64_t size = b1 & 0x7f;
    size_t header = 2;
    if (size == 126) {
      if (avail < 4) break;
      size = (uint64_t{static_cast<uint8_t>(p[2])} << 8) | static_cast<uint8_t>(p[3]);
      header = 4;
    } else if (size == 127) {
      if (avail < 10) break;
      size = 0;
      for (int i = 2; i < 10; ++i) size = (size << 8) | static_cast<uint8_t>(p[i]);
      header = 10;
    }
    if (size > kMaxMessage) {
      Abort(fmt::format("a {} byte WebSocket frame is beyond this tool's limit", size));
      return len;
    }
    if (avail - header < size) break;
    const std::string_view body(p + header, static_cast<size_t>(size));
    off += header + static_cast<size_t>(size);
    const bool fin = (b0 & 0x80) != 0;
    const uint8_t opcode = b0 & 0x0f;
    switch (opcode) {
      case kContinuation:
        if (!in_fragments_) {
          Abort("a continuation frame without a message to continue");
          return len;
        }
        fragments_.append(body);
        if (fragments_.size() > kMaxMessage) {
          Abort("a fragmented WebSocket message beyond this tool's limit");
          return len;
        }
        if (fin) {
          in_fragments_ = false;
          HandleMessage(fragments_, now_ns);
          fragments_.clear();
        }
        break;
      case kText:
      case kBinary:
        if (in_fragments_) {
          Abort("a new message started inside a fragmented one");
          return len;
        }
        if (fin) {
          HandleMessage(body, now_ns);
        } else {
          in_fragments_ = true;
          fragments_.assign(body);
        }
        break;
      case kClose: {
        const unsigned code =
            body.size() >= 2 ? (static_cast<uint8_t>(body[0]) << 8) | static_cast<uint8_t>(body[1])
                             : 1005;
        const std::string_view reason = body.size() > 2 ? body.substr(2) : std::string_view();
        Abort(fmt::format("the server closed the WebSocket (code {}{}{})", code,
                          reason.empty() ? "" : ": ", reason));
        return len;
      }
      case kPing:
        if (!fin || size > 125) {
          Abort("a fragmented or oversized ping");
          return len;
        }
        QueueFrame(kPong, body);
        break;
      case kPong:
        break;
      default:
        Abort(fmt::format("unknown WebSocket opcode {}", opcode));
        return len;
    }
    if (closing()) return len;
  }
  return off;
}

void WsSubscriber::HandleMessage(std::string_view message, uint64_t now_ns) {
  if (pattern_.empty()) {
    events_->OnMessage(index_, message, now_ns);
    return;
  }
  std::string_view data;
  if (MatchJsonMessage(message, json_prefix_, payload_, &data)) {
    events_->OnMessage(index_, data, now_ns);
    return;
  }
  JsonPush push;
  if (!ReadJsonPush(message, &scratch_, &push)) {
    Abort(fmt::format("malformed JSON push: {}", message.substr(0, 120)));
    return;
  }
  if ((push.type == "pmessage" || push.type == "message") && push.has_data) {
    events_->OnMessage(index_, push.data, now_ns);
  } else if (push.type == "psubscribe" || push.type == "subscribe") {
    events_->OnSubscribed(index_);
  } else if (push.type == "pong") {
    // Nothing to do.
  } else if (push.type == "error") {
    Abort(fmt::format("the gateway reported an error: {}", push.message));
  } else {
    Abort(fmt::format("unexpected JSON push of type '{}'", push.type));
  }
}

}  // namespace herald::bench
