#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/http_request.h"
#include "protocol/shared_bytes.h"
#include "protocol/utf8.h"

// WebSocket (RFC 6455) codec: the opening handshake, a frame decoder for what a peer sends, and
// frame encoders for what herald sends. No extension is negotiated (permessage-deflate is not
// advertised), so the RSV bits must always be zero.
namespace herald::protocol {

// Frame opcodes (RFC 6455 section 5.2). Other values are reserved.
enum class WsOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes (RFC 6455 section 7.4.1) herald sends or needs to recognize.
inline constexpr uint16_t kWsCloseNormal = 1000;
inline constexpr uint16_t kWsCloseGoingAway = 1001;
inline constexpr uint16_t kWsCloseProtocolError = 1002;
inline constexpr uint16_t kWsCloseUnsupportedData = 1003;
inline constexpr uint16_t kWsCloseNoStatus = 1005;  // never sent: "the close frame had no code"
inline constexpr uint16_t kWsCloseAbnormal = 1006;  // never sent: "closed without a close frame"
inline constexpr uint16_t kWsCloseInvalidPayload = 1007;
inline constexpr uint16_t kWsClosePolicyViolation = 1008;
inline constexpr uint16_t kWsCloseMessageTooBig = 1009;
inline constexpr uint16_t kWsCloseInternalError = 1011;

// Whether `code` may appear in a close frame (RFC 6455 section 7.4 and the IANA registry):
// 1000-1003, 1007-1014, 3000-4999. 1004 is reserved, 1005/1006/1015 must never be sent, and
// everything below 1000, from 1016 to 2999 and above 4999 is invalid.
bool IsValidWsCloseCode(uint16_t code);

// ---------------------------------------------------------------------------------------------
// Opening handshake (RFC 6455 section 4.2).

// Outcome of checking an upgrade request.
enum class WsHandshakeResult {
  kOk,                   // answer BuildWsHandshakeResponse(): 101 Switching Protocols
  kNotGet,               // 400: the method is not GET
  kNotHttp11,            // 400: HTTP/1.0 (the handshake needs HTTP/1.1 or later)
  kNoHost,               // 400: no Host header
  kNoUpgrade,            // 400: `Upgrade` does not list `websocket`
  kNoConnectionUpgrade,  // 400: `Connection` does not list `Upgrade`
  kBadKey,               // 400: Sec-WebSocket-Key missing, repeated, or not base64 of 16 bytes
  kNoVersion,            // 400: Sec-WebSocket-Version missing
  kUnsupportedVersion,   // 426 with `Sec-WebSocket-Version: 13`: any version other than one `13`
};

// The status to answer with: 101 for kOk, 426 for kUnsupportedVersion, 400 otherwise.
int WsHandshakeStatus(WsHandshakeResult result);

// Checks the parts of `request` the WebSocket handshake defines, in the order of the enum above
// (the first failure is returned). Origin, the path and subprotocols are left to the caller;
// Sec-WebSocket-Extensions is ignored, which declines every extension.
WsHandshakeResult CheckWsHandshake(const HttpRequest& request);

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)),
// 28 characters; "dGhlIHNhbXBsZSBub25jZQ==" gives "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=". Empty only if
// OpenSSL fails to compute SHA-1.
std::string WsAcceptKey(std::string_view key);

// The complete 101 response for a request CheckWsHandshake() accepted, computing the accept
// value from its Sec-WebSocket-Key. `extra_headers` is inserted verbatim before the empty line
// and must consist of whole `Name: value\r\n` lines (or be empty).
std::string BuildWsHandshakeResponse(const HttpRequest& request,
                                     std::string_view extra_headers = {});

// A complete error response for a rejected handshake (400, or 426 with
// `Sec-WebSocket-Version: 13`), with a one-line text/plain body and `Connection: close`. Not for
// kOk.
std::string BuildWsHandshakeRejection(WsHandshakeResult result);

// ---------------------------------------------------------------------------------------------
// Decoder.

struct WsDecoderLimits {
  // Largest message, summing all its fragments, in bytes. A frame whose declared length would
  // take the message past it fails with 1009 as soon as its length field is read, before any
  // payload is buffered. The default lets Autobahn's 16 MiB messages (section 9) through.
  uint64_t max_message_size = 16 * 1024 * 1024;
  // Decoding what a client sends (the server side): every frame must be masked. False decodes
  // what a server sends (tests, tools): no frame may be masked. Either violation is 1002.
  bool client_frames = true;
};

// What WsDecoder::Feed() reports. Exactly one event per call.
enum class WsEvent {
  kNeedMore,  // all input was absorbed; nothing to report yet
  kMessage,   // a complete data message: opcode() is kText (payload valid UTF-8) or kBinary
  kPing,      // a ping: payload() is its data (at most 125 bytes); answer with a pong carrying it
  kPong,      // a pong: payload() is its data
  kClose,     // a close frame: close_code() (kWsCloseNoStatus when it had none) and
              // close_reason(); answer with a close frame and close. Later input is ignored.
  kError,     // the peer broke the protocol: send a close frame with close_code() (1002, 1007 or
              // 1009) and close_reason(), then close. Every later Feed() repeats the error.
};

// Incremental decoder of the frames one peer sends, as a state machine fed arbitrary pieces of
// the byte stream. It validates each frame per RFC 6455 section 5 at the earliest byte that
// decides: header bits at the first two bytes (RSV without extension, reserved opcodes,
// fragmented or over-long control frames, masking, continuation without a message, a new data
// frame inside a fragmented one: all 1002), the length as soon as it is complete (64-bit length
// with the top bit set: 1002; message over the limit: 1009; non-minimal encodings are accepted),
// text payload byte by byte across frames and fragments (1007), and close frames when complete
// (code per IsValidWsCloseCode, else 1002; reason must be UTF-8, else 1007; a 1-byte payload is
// 1002 at once). Control frames may arrive between the fragments of a message.
//
// Fragments are reassembled in the decoder's own buffer (up to max_message_size); payloads are
// unmasked while being copied there. Keeps no pointer into the caller's data. A buffer that grew
// past 64 KiB is freed after its message, so idle connections hold no large buffers; the
// decoder itself is a few hundred bytes.
//
// Calling pattern: hand over all unconsumed bytes; drop `consumed` bytes; call again while the
// result is not kNeedMore (an event stops decoding right after the frame that caused it).
class WsDecoder {
 public:
  explicit WsDecoder(WsDecoderLimits limits = {}) : limits_(limits) {}

  // Decodes from the start of `data`. Sets *consumed to the bytes used: through the frame that
  // caused the event, all of `data` for kNeedMore (and after kClose), through the offending byte
  // for kError (0 when repeating an earlier error).
  WsEvent Feed(std::string_view data, size_t* consumed);

  // kText or kBinary: the opcode of the message reported by the last kMessage.
  WsOpcode opcode() const { return event_opcode_; }
  // The payload of the last kMessage, kPing or kPong; valid until the next Feed() or Reset().
  std::string_view payload() const;
  // kClose: the peer's code; kError: the code to close with.
  uint16_t close_code() const { return close_code_; }
  // kClose: the peer's reason (valid UTF-8, at most 123 bytes, valid until the next Feed());
  // kError: why, in a few words (static text, fit to send as the close reason).
  std::string_view close_reason() const;
  // Whether a fragmented message has started and not ended yet.
  bool in_message() const { return in_message_; }
  // Whether the decoder rests between frames: no frame header or payload partly read, no
  // fragmented message open, no close frame or error reported. A new decoder with the same
  // limits would then decode what follows exactly as this one, so an owner may drop it (with
  // its buffers) and make a new one when more bytes arrive.
  bool idle() const { return state_ == State::kHeader && header_len_ == 0 && !in_message_; }

  // Starts over as on a new connection (keeps the limits) and releases the message buffer.
  void Reset();

 private:
  // Where the decoder is in the byte stream.
  enum class State : uint8_t {
    kHeader,   // collecting the 2..14 header bytes of the next frame into header_
    kPayload,  // copying the current frame's remaining_ payload bytes (unmasking them)
    kClosed,   // a close frame was reported: RFC 6455 section 5.5.1 says nothing may follow,
               // so input is dropped unread
    kFailed,   // an error was reported: close_code_ and error_reason_ hold it
  };

  // Feed() without recording the event.
  WsEvent Decode(std::string_view data, size_t* consumed);
  // Checks the header byte just stored at header_[header_len_ - 1]; false after Fail().
  bool OnHeaderByte();
  // The current frame's header is complete: prepares for its payload.
  void StartPayload();
  // Copies and unmasks payload bytes into the message or control buffer; false after Fail().
  bool TakePayload(const char* data, size_t length, size_t* used);
  // The current frame's payload is complete: its event, or kNeedMore to read the next frame.
  WsEvent FinishFrame();
  WsEvent ParseClose();
  WsEvent Fail(uint16_t code, std::string_view reason);
  void Unmask(char* data, size_t length);
  bool control_frame() const { return (static_cast<uint8_t>(frame_opcode_) & 0x8) != 0; }

  WsDecoderLimits limits_;
  State state_ = State::kHeader;

  // The frame being decoded.
  uint8_t header_[14] = {};
  uint8_t header_len_ = 0;   // bytes collected in header_
  uint8_t header_need_ = 2;  // header size, known once the second byte is in
  WsOpcode frame_opcode_ = WsOpcode::kContinuation;
  bool frame_fin_ = false;
  bool frame_masked_ = false;
  uint8_t mask_[4] = {};
  uint8_t mask_phase_ = 0;     // payload bytes unmasked so far, modulo 4
  uint64_t frame_length_ = 0;  // declared payload length
  uint64_t remaining_ = 0;     // payload bytes still to come

  // The data message being reassembled.
  bool in_message_ = false;
  bool release_message_ = false;  // message_ was reported; empty it at the next Feed()
  WsOpcode message_opcode_ = WsOpcode::kBinary;
  std::string message_;
  Utf8Validator utf8_;  // over all text fragments so far

  // The control frame being read (RFC 6455 caps them at 125 bytes).
  char control_[125] = {};
  uint8_t control_len_ = 0;

  // The last event. Its payload and close reason are found from it in message_ or control_
  // rather than kept as views, so that copying or moving a decoder cannot leave one dangling.
  WsEvent last_event_ = WsEvent::kNeedMore;
  WsOpcode event_opcode_ = WsOpcode::kBinary;
  uint16_t close_code_ = 0;
  std::string_view error_reason_;  // static text
};

// ---------------------------------------------------------------------------------------------
// Encoders for server frames (never masked, RSV bits clear).

// Header size of a server frame with `payload_size` payload bytes: 2, 4 or 10.
size_t WsFrameHeaderSize(uint64_t payload_size);

// Writes the header of a server frame into `out`, which must have WsFrameHeaderSize() bytes of
// room; returns the bytes written. Uses the shortest length encoding, as RFC 6455 requires.
size_t WriteWsFrameHeader(WsOpcode opcode, bool fin, uint64_t payload_size, char* out);

// Appends one server frame. Control frames (close, ping, pong) carry at most 125 bytes: longer
// payloads are cut there, so a frame that breaks the RFC is never produced.
void AppendWsFrame(WsOpcode opcode, std::string_view payload, std::string* out, bool fin = true);

// One server frame (FIN set) in a new SharedBytes of exactly the frame's size: the fan-out path
// encodes a published message once and every WebSocket subscriber queues the same block.
// Control payloads are cut at 125 bytes as in AppendWsFrame. The payload must stay below 4 GiB
// (SharedBytes' limit; message limits are far lower).
SharedBytes EncodeWsFrame(WsOpcode opcode, std::string_view payload);

// Appends a close frame with `code` and `reason` (cut at 123 bytes, on a UTF-8 character
// boundary, so the payload fits 125). kWsCloseNoStatus, kWsCloseAbnormal and 1015 cannot be sent:
// for them the frame has an empty payload, which is also the right echo of a close without code.
void AppendWsCloseFrame(uint16_t code, std::string_view reason, std::string* out);

// Appends one frame as a client sends it, masked with `mask_key` (its bytes in network order).
// For tests and tools that play the browser; the server never masks.
void AppendWsMaskedFrame(WsOpcode opcode, std::string_view payload, uint32_t mask_key,
                         std::string* out, bool fin = true);

}  // namespace herald::protocol
