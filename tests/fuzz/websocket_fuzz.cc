// libFuzzer target for WsDecoder (and the frame encoders, through round trips).
//
// Input: one configuration byte, then the byte stream a peer sends after the handshake. The
// stream is decoded the way a connection decodes it (append what arrived, decode until kNeedMore,
// drop what was consumed) in one piece, in chunks whose sizes are read from the stream itself
// (the uWebSockets makeChunked idea), and byte by byte for short inputs. All runs must report the
// same events at the same stream offsets; every event must respect the Feed() contract and the
// RFC 6455 guarantees the decoder gives (UTF-8 text, valid close codes, the size limit); and
// every message must survive a round trip through the server and client frame encoders.
//
// Configuration byte (the digit '0' means defaults, so seeds stay readable):
//   0x01 decode server frames (unmasked) instead of client frames,
//   0x02 max_message_size 64, 0x04 max_message_size 0, 0x08 max_message_size 70000.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/utf8.h"
#include "protocol/websocket.h"
#include "tests/fuzz/fuzz_helpers.h"

namespace herald::fuzz {
namespace {

using herald::protocol::AppendWsCloseFrame;
using herald::protocol::AppendWsFrame;
using herald::protocol::AppendWsMaskedFrame;
using herald::protocol::EncodeWsFrame;
using herald::protocol::IsValidUtf8;
using herald::protocol::IsValidWsCloseCode;
using herald::protocol::kWsCloseNoStatus;
using herald::protocol::SharedBytes;
using herald::protocol::WsDecoder;
using herald::protocol::WsDecoderLimits;
using herald::protocol::WsEvent;
using herald::protocol::WsOpcode;

struct Event {
  WsEvent type;
  WsOpcode opcode;
  std::string data;  // payload, or close / error reason
  uint16_t code;
  size_t end;  // stream offset where the event was reported

  bool operator==(const Event&) const = default;
};

// Decodes one complete frame and returns its event.
WsEvent DecodeAll(std::string_view bytes, WsDecoder* decoder) {
  size_t consumed = 0;
  const WsEvent event = decoder->Feed(bytes, &consumed);
  Check(consumed == bytes.size());
  return event;
}

// What the server sends back (an echo of the message, a pong, a close) must decode, on the
// client side, to exactly what was received; and what a client sends, to the server side.
void CheckRoundTrip(const Event& e, uint64_t max_message_size) {
  WsDecoderLimits as_client;
  as_client.client_frames = false;
  as_client.max_message_size = max_message_size;
  WsDecoderLimits as_server;
  as_server.max_message_size = max_message_size;
  if (e.type == WsEvent::kMessage) {
    std::string frame;
    AppendWsFrame(e.opcode, e.data, &frame);
    const SharedBytes shared = EncodeWsFrame(e.opcode, e.data);
    Check(shared.view() == frame);
    WsDecoder client(as_client);
    Check(DecodeAll(frame, &client) == WsEvent::kMessage);
    Check(client.opcode() == e.opcode && client.payload() == e.data);

    // The same message, fragmented by a client into two frames with a ping between them.
    const size_t half = e.data.size() / 2;
    std::string masked;
    AppendWsMaskedFrame(e.opcode, std::string_view(e.data).substr(0, half), 0x12345678, &masked,
                        false);
    AppendWsMaskedFrame(WsOpcode::kPing, "p", 0x9abcdef0, &masked);
    AppendWsMaskedFrame(WsOpcode::kContinuation, std::string_view(e.data).substr(half), 0x0,
                        &masked);
    WsDecoder server(as_server);
    size_t consumed = 0;
    Check(server.Feed(masked, &consumed) == WsEvent::kPing);
    const std::string_view rest = std::string_view(masked).substr(consumed);
    Check(server.Feed(rest, &consumed) == WsEvent::kMessage);
    Check(consumed == rest.size());
    Check(server.opcode() == e.opcode && server.payload() == e.data);
  } else if (e.type == WsEvent::kPing) {
    std::string pong;
    AppendWsFrame(WsOpcode::kPong, e.data, &pong);
    WsDecoder client(as_client);
    Check(DecodeAll(pong, &client) == WsEvent::kPong);
    Check(client.payload() == e.data);
  } else if (e.type == WsEvent::kClose || e.type == WsEvent::kError) {
    std::string close;
    AppendWsCloseFrame(e.code, e.data, &close);
    WsDecoder client(as_client);
    Check(DecodeAll(close, &client) == WsEvent::kClose);
    Check(client.close_code() == e.code);
    Check(client.close_reason() == e.data);
  }
}

// Decodes `stream` arriving in chunks of the sizes `chunk_sizes` gives; returns every event,
// then a last one for the final state (kNeedMore with the stream size, when no error ended it).
std::vector<Event> DecodeStream(std::string_view stream, const WsDecoderLimits& limits,
                                ChunkSizes chunk_sizes) {
  WsDecoder decoder(limits);
  std::string buffer;
  std::vector<Event> events;
  size_t offset = 0;  // stream offset of buffer[0]
  bool closed = false;
  const bool ended = FeedInChunks(stream, chunk_sizes, [&](std::string_view chunk) {
    buffer.append(chunk);
    for (;;) {
      size_t consumed = SIZE_MAX;
      const WsEvent type = decoder.Feed(buffer, &consumed);
      Check(consumed <= buffer.size());
      offset += consumed;
      buffer.erase(0, consumed);
      if (type == WsEvent::kNeedMore) {
        Check(buffer.empty());
        Check(decoder.payload().empty());
        return true;
      }
      Check(!closed);  // nothing is reported after a close
      Check(consumed > 0);
      Event e{type, decoder.opcode(), {}, decoder.close_code(), offset};
      switch (type) {
        case WsEvent::kMessage:
          Check(decoder.opcode() == WsOpcode::kText || decoder.opcode() == WsOpcode::kBinary);
          Check(decoder.payload().size() <= limits.max_message_size);
          if (decoder.opcode() == WsOpcode::kText) Check(IsValidUtf8(decoder.payload()));
          Check(!decoder.in_message());
          e.data = decoder.payload();
          e.code = 0;
          break;
        case WsEvent::kPing:
        case WsEvent::kPong:
          Check(decoder.payload().size() <= 125);
          e.data = decoder.payload();
          e.opcode = WsOpcode::kBinary;
          e.code = 0;
          break;
        case WsEvent::kClose:
          Check(decoder.close_code() == kWsCloseNoStatus ||
                IsValidWsCloseCode(decoder.close_code()));
          if (decoder.close_code() == kWsCloseNoStatus) Check(decoder.close_reason().empty());
          Check(decoder.close_reason().size() <= 123);
          Check(IsValidUtf8(decoder.close_reason()));
          e.data = decoder.close_reason();
          e.opcode = WsOpcode::kBinary;
          closed = true;
          break;
        case WsEvent::kError:
          Check(decoder.close_code() == 1002 || decoder.close_code() == 1007 ||
                decoder.close_code() == 1009);
          Check(!decoder.close_reason().empty() && decoder.close_reason().size() <= 123);
          Check(IsValidUtf8(decoder.close_reason()));
          e.data = decoder.close_reason();
          e.opcode = WsOpcode::kBinary;
          break;
        case WsEvent::kNeedMore:
          break;
      }
      CheckRoundTrip(e, limits.max_message_size);
      events.push_back(std::move(e));
      if (type == WsEvent::kError) {
        // The contract: an error repeats, consuming nothing.
        Check(decoder.Feed(buffer, &consumed) == WsEvent::kError);
        Check(consumed == 0);
        return false;
      }
    }
  });
  if (ended) events.push_back({WsEvent::kNeedMore, WsOpcode::kBinary, {}, 0, offset});
  return events;
}

// One configuration byte (see the top of the file), then what the peer sends.
void TestOneInput(uint8_t config, std::string_view stream) {
  WsDecoderLimits limits;
  limits.client_frames = (config & 0x01) == 0;
  if (config & 0x02) limits.max_message_size = 64;
  if (config & 0x04) limits.max_message_size = 0;
  if (config & 0x08) limits.max_message_size = 70000;

  // In one piece, in chunks sized by the stream's own bytes, and byte by byte for short streams.
  CheckChunkingInvariant(stream, std::bind_front(DecodeStream, stream, limits));
}

}  // namespace
}  // namespace herald::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return herald::fuzz::RunWithConfigByte(data, size, herald::fuzz::TestOneInput);
}
