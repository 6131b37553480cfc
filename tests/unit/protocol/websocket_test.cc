// WsDecoder: vectors whole and at every split, limits, errors and state. The encoders and the
// handshake are in websocket_encoding_test.cc.

#include "protocol/websocket.h"

#include <doctest/doctest.h>

#include <cctype>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/http_request.h"
#include "tests/unit/protocol/websocket_frames.h"

namespace herald::protocol {
namespace {

using namespace std::literals;
using namespace ws_test;

// Printable form of an event, with its stream offset, so whole event sequences compare as
// strings and a failure shows the difference.
std::string Describe(WsEvent type, WsOpcode op, std::string_view data, uint16_t code, size_t end) {
  std::string text;
  if (data.size() > 48) {
    uint64_t hash = 1469598103934665603ull;
    for (char c : data) hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211ull;
    text = "<" + std::to_string(data.size()) + " bytes #" + std::to_string(hash) + ">";
  } else {
    for (char c : data) {
      const auto u = static_cast<uint8_t>(c);
      if (u >= 0x20 && u < 0x7F) {
        text.push_back(c);
      } else {
        static const char* kHex = "0123456789abcdef";
        text += "\\x";
        text.push_back(kHex[u >> 4]);
        text.push_back(kHex[u & 15]);
      }
    }
  }
  const std::string at = "@" + std::to_string(end);
  switch (type) {
    case WsEvent::kMessage:
      return (op == WsOpcode::kText ? "text(" : "binary(") + text + ")" + at;
    case WsEvent::kPing:
      return "ping(" + text + ")" + at;
    case WsEvent::kPong:
      return "pong(" + text + ")" + at;
    case WsEvent::kClose:
      return "close(" + std::to_string(code) + "," + text + ")" + at;
    case WsEvent::kError:
      return "error(" + std::to_string(code) + ")" + at;
    case WsEvent::kNeedMore:
      return "needmore" + at;
  }
  return "?";
}

// A byte stream and the events it must produce, each at the stream offset where the decoder
// reports it (the end of `consumed`). The Expect* helpers take the offset from the bytes added
// so far; bytes added after an error are never decoded.
struct Stream {
  std::string bytes;
  std::vector<std::string> events;

  Stream& Add(std::string_view b) {
    bytes.append(b);
    return *this;
  }
  Stream& Text(std::string_view payload) {
    events.push_back(Describe(WsEvent::kMessage, WsOpcode::kText, payload, 0, bytes.size()));
    return *this;
  }
  Stream& Binary(std::string_view payload) {
    events.push_back(Describe(WsEvent::kMessage, WsOpcode::kBinary, payload, 0, bytes.size()));
    return *this;
  }
  Stream& Ping(std::string_view payload) {
    events.push_back(Describe(WsEvent::kPing, {}, payload, 0, bytes.size()));
    return *this;
  }
  Stream& Pong(std::string_view payload) {
    events.push_back(Describe(WsEvent::kPong, {}, payload, 0, bytes.size()));
    return *this;
  }
  Stream& Close(uint16_t code, std::string_view reason) {
    events.push_back(Describe(WsEvent::kClose, {}, reason, code, bytes.size()));
    return *this;
  }
  Stream& Error(uint16_t code) {
    events.push_back(Describe(WsEvent::kError, {}, {}, code, bytes.size()));
    return *this;
  }
};

struct Vector {
  std::string name;
  Stream stream;
  WsDecoderLimits limits = {};
};

std::vector<Vector> Vectors() {
  std::vector<Vector> v;
  // RFC 6455 section 5.7 examples, byte for byte.
  v.push_back({"rfc single-frame masked text Hello",
               Stream().Add("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"sv).Text("Hello")});
  v.push_back({"rfc single-frame unmasked text Hello (server frames)",
               Stream().Add("\x81\x05\x48\x65\x6c\x6c\x6f"sv).Text("Hello"), ServerFrames()});
  v.push_back({"rfc fragmented unmasked text (server frames)",
               Stream().Add("\x01\x03\x48\x65\x6c"sv).Add("\x80\x02\x6c\x6f"sv).Text("Hello"),
               ServerFrames()});
  v.push_back({"rfc unmasked ping (server frames)",
               Stream().Add("\x89\x05\x48\x65\x6c\x6c\x6f"sv).Ping("Hello"), ServerFrames()});
  v.push_back({"rfc masked pong",
               Stream().Add("\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"sv).Pong("Hello")});
  v.push_back({"rfc masked text equals the masked frame helper",
               Stream().Add(Masked(kFin | kText, "Hello")).Text("Hello")});

  // Messages.
  v.push_back({"empty text", Stream().Add(Masked(kFin | kText, "")).Text("")});
  v.push_back({"empty binary", Stream().Add(Masked(kFin | kBin, "")).Binary("")});
  v.push_back(
      {"binary with every byte value", Stream()
                                           .Add(Masked(kFin | kBin, "\x00\x01\x7f\x80\xfe\xff"sv))
                                           .Binary("\x00\x01\x7f\x80\xfe\xff"sv)});
  v.push_back({"two messages back to back", Stream()
                                                .Add(Masked(kFin | kText, "one"))
                                                .Text("one")
                                                .Add(Masked(kFin | kBin, "two", 0, 0xa1b2c3d4))
                                                .Binary("two")});
  v.push_back({"mask key zero", Stream().Add(Masked(kFin | kText, "plain", 0, 0)).Text("plain")});
  v.push_back(
      {"125-byte payload, 7-bit length",
       Stream().Add(Masked(kFin | kBin, std::string(125, 'x'))).Binary(std::string(125, 'x'))});
  v.push_back(
      {"126-byte payload, 16-bit length",
       Stream().Add(Masked(kFin | kBin, std::string(126, 'y'))).Binary(std::string(126, 'y'))});
  v.push_back({"non-minimal 16-bit length accepted",
               Stream().Add(Masked(kFin | kText, "short", 2)).Text("short")});
  v.push_back({"non-minimal 64-bit length accepted",
               Stream().Add(Masked(kFin | kText, "short", 8)).Text("short")});
  v.push_back({"multi-byte text", Stream()
                                      .Add(Masked(kFin | kText, "\xce\xba\xe1\xbd\xb9\xcf\x83"))
                                      .Text("\xce\xba\xe1\xbd\xb9\xcf\x83")});

  // Fragmentation.
  v.push_back({"text in three fragments", Stream()
                                              .Add(Masked(kText, "Hel"))
                                              .Add(Masked(kCont, "lo, "))
                                              .Add(Masked(kFin | kCont, "world"))
                                              .Text("Hello, world")});
  v.push_back({"binary fragments, empty ones included", Stream()
                                                            .Add(Masked(kBin, ""))
                                                            .Add(Masked(kCont, "ab"))
                                                            .Add(Masked(kCont, ""))
                                                            .Add(Masked(kFin | kCont, ""))
                                                            .Binary("ab")});
  v.push_back({"ping between fragments (autobahn 5.6)", Stream()
                                                            .Add(Masked(kText, "fragment1"))
                                                            .Add(Masked(kFin | kPing, "ping"))
                                                            .Ping("ping")
                                                            .Add(Masked(kFin | kCont, "fragment2"))
                                                            .Text("fragment1fragment2")});
  v.push_back({"pong and ping between fragments", Stream()
                                                      .Add(Masked(kBin, "a"))
                                                      .Add(Masked(kFin | kPong, ""))
                                                      .Pong("")
                                                      .Add(Masked(kCont, "b"))
                                                      .Add(Masked(kFin | kPing, "x"))
                                                      .Ping("x")
                                                      .Add(Masked(kFin | kCont, "c"))
                                                      .Binary("abc")});
  v.push_back({"code point split across fragments", Stream()
                                                        .Add(Masked(kText, "\xce"))
                                                        .Add(Masked(kCont, ""))
                                                        .Add(Masked(kFin | kCont, "\xba!"))
                                                        .Text("\xce\xba!")});
  v.push_back({"close between fragments",
               Stream().Add(Masked(kText, "half")).Add(CloseFrame(1000, "")).Close(1000, "")});

  // Control frames.
  v.push_back({"empty ping", Stream().Add(Masked(kFin | kPing, "")).Ping("")});
  v.push_back(
      {"125-byte ping",
       Stream().Add(Masked(kFin | kPing, std::string(125, 'p'))).Ping(std::string(125, 'p'))});
  v.push_back({"ping with binary payload",
               Stream().Add(Masked(kFin | kPing, "\x00\xff\xfe"sv)).Ping("\x00\xff\xfe"sv)});

  // Close frames.
  v.push_back({"close without payload", Stream().Add(Masked(kFin | kClose, "")).Close(1005, "")});
  v.push_back({"close 1000 with reason", Stream().Add(CloseFrame(1000, "bye")).Close(1000, "bye")});
  v.push_back(
      {"close with 123-byte reason",
       Stream().Add(CloseFrame(1001, std::string(123, 'r'))).Close(1001, std::string(123, 'r'))});
  v.push_back(
      {"close with UTF-8 reason",
       Stream().Add(CloseFrame(1000, "\xce\xba\xe1\xbd\xb9")).Close(1000, "\xce\xba\xe1\xbd\xb9")});
  v.push_back({"input after close is ignored", Stream()
                                                   .Add(CloseFrame(1000, ""))
                                                   .Close(1000, "")
                                                   .Add(Masked(kFin | kText, "late"))
                                                   .Add("\xff\xff garbage")});
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                        3000, 3999, 4000, 4999}) {
    v.push_back({"valid close code " + std::to_string(code),
                 Stream().Add(CloseFrame(code, "")).Close(code, "")});
  }
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    v.push_back({"invalid close code " + std::to_string(code),
                 Stream().Add(CloseFrame(code, "")).Error(1002)});
  }
  v.push_back({"close reason with invalid UTF-8 (autobahn 7.5.1)",
               Stream().Add(CloseFrame(1000, "\xce\xba\xed\xa0\x80")).Error(1007)});
  v.push_back({"close with a 1-byte payload fails at its length",
               Stream()
                   .Add(Header(kFin | kClose, true, 1).substr(0, 2))
                   .Error(1002)
                   .Add("\x01\x02\x03\x04\x05"sv)});
  v.push_back({"close with a 126-byte payload fails at its length (autobahn 7.3.6)",
               Stream().Add("\x88\xfe"sv).Error(1002).Add("\x00\x7e"sv)});

  // Header errors, each at the byte that decides.
  for (uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
    v.push_back({"RSV bits " + std::to_string(rsv),
                 Stream()
                     .Add(std::string(1, static_cast<char>(kFin | rsv | kText)))
                     .Error(1002)
                     .Add("\x80\x00\x00\x00\x00"sv)});
  }
  for (uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    v.push_back({"reserved opcode " + std::to_string(op),
                 Stream()
                     .Add(std::string(1, static_cast<char>(kFin | op)))
                     .Error(1002)
                     .Add("\x80\x00\x00\x00\x00"sv)});
  }
  v.push_back({"reserved opcode after a good message", Stream()
                                                           .Add(Masked(kFin | kText, "ok"))
                                                           .Text("ok")
                                                           .Add("\x83"sv)
                                                           .Error(1002)
                                                           .Add("\x80\x00\x00\x00\x00"sv)});
  v.push_back({"unmasked client frame", Stream().Add("\x81\x05"sv).Error(1002).Add("Hello")});
  v.push_back({"masked frame where server frames are expected",
               Stream().Add("\x81\x85"sv).Error(1002).Add("\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"sv),
               ServerFrames()});
  v.push_back({"fragmented ping", Stream().Add("\x09"sv).Error(1002).Add("\x80\0\0\0\0"sv)});
  v.push_back({"fragmented close", Stream().Add("\x08"sv).Error(1002).Add("\x80\0\0\0\0"sv)});
  v.push_back(
      {"ping with 126-byte length", Stream().Add("\x89\xfe"sv).Error(1002).Add("\x00\x7e"sv)});
  v.push_back(
      {"continuation without a message", Stream().Add("\x80"sv).Error(1002).Add("\x80\0\0\0\0"sv)});
  v.push_back({"continuation after a complete message", Stream()
                                                            .Add(Masked(kFin | kText, "done"))
                                                            .Text("done")
                                                            .Add("\x00"sv)
                                                            .Error(1002)
                                                            .Add("\x80\0\0\0\0"sv)});
  v.push_back({"text frame inside a fragmented message",
               Stream().Add(Masked(kText, "a")).Add("\x81"sv).Error(1002).Add("\x80\0\0\0\0"sv)});
  v.push_back({"binary frame inside a fragmented message",
               Stream().Add(Masked(kBin, "a")).Add("\x02"sv).Error(1002).Add("\x80\0\0\0\0"sv)});
  v.push_back(
      {"64-bit length with the top bit set",
       Stream().Add("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00"sv).Error(1002).Add("\0\0\0\0"sv)});

  // Message size limit: refused at the length, before any payload.
  v.push_back({"message at the limit",
               Stream().Add(Masked(kFin | kBin, "0123456789")).Binary("0123456789"),
               MaxMessage(10)});
  v.push_back({"7-bit length over the limit",
               Stream().Add("\x82\x8b"sv).Error(1009).Add("\0\0\0\0 01234567890"sv),
               MaxMessage(10)});
  v.push_back({"16-bit length over the limit",
               Stream().Add("\x81\xfe\x00\xc8"sv).Error(1009).Add("\0\0\0\0"sv), MaxMessage(100)});
  v.push_back(
      {"64-bit length over the limit",
       Stream().Add("\x82\xff\x00\x00\x00\x01\x00\x00\x00\x00"sv).Error(1009).Add("\0\0\0\0"sv),
       MaxMessage(1 << 20)});
  v.push_back({"fragments over the limit fail at the fragment that overflows",
               Stream()
                   .Add(Masked(kText, "123456"))
                   .Add("\x80\x85"sv)
                   .Error(1009)
                   .Add("\0\0\0\0"
                        "12345"sv),
               MaxMessage(10)});
  v.push_back({"control frames do not count toward the limit",
               Stream()
                   .Add(Masked(kBin, "abc"))
                   .Add(Masked(kFin | kPing, "0123456789"))
                   .Ping("0123456789")
                   .Add(Masked(kFin | kCont, "d"))
                   .Binary("abcd"),
               MaxMessage(4)});
  v.push_back({"the limit starts over with each message",
               Stream()
                   .Add(Masked(kFin | kText, "1234"))
                   .Text("1234")
                   .Add(Masked(kFin | kText, "5678"))
                   .Text("5678"),
               MaxMessage(4)});

  // UTF-8, fail-fast: the error comes at the offending byte, even inside a frame.
  {
    const std::string frame = Masked(kFin | kText,
                                     "ab\xff"
                                     "cd");
    v.push_back({"invalid byte inside a text frame",
                 Stream().Add(frame.substr(0, 6 + 3)).Error(1007).Add(frame.substr(9))});
  }
  {
    const std::string frame = Masked(kFin | kText,
                                     "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
                                     "\xed\xa0\x80\x65\x64\x69\x74\x65\x64");
    v.push_back({"autobahn 6.3.1 surrogate fails at its second byte",
                 Stream().Add(frame.substr(0, 6 + 13)).Error(1007).Add(frame.substr(19))});
  }
  {
    // Autobahn 6.4.1: valid first fragment, invalid second, third never looked at.
    const std::string second = Masked(kCont, "\xf4\x90\x80\x80");
    v.push_back({"fragment with U+110000 fails at the second byte",
                 Stream()
                     .Add(Masked(kText, "\xce\xba"))
                     .Add(second.substr(0, 8))
                     .Error(1007)
                     .Add(second.substr(8))
                     .Add(Masked(kFin | kCont, "edited"))});
  }
  {
    const std::string second = Masked(kFin | kCont, "\xa0\x80");
    v.push_back({"surrogate split across fragments", Stream()
                                                         .Add(Masked(kText, "ok\xed"))
                                                         .Add(second.substr(0, 7))
                                                         .Error(1007)
                                                         .Add(second.substr(7))});
  }
  v.push_back({"text ending inside a code point fails at the end of the frame",
               Stream().Add(Masked(kFin | kText, "ab\xe2\x82")).Error(1007)});
  v.push_back({"last fragment ending inside a code point",
               Stream().Add(Masked(kText, "\xe2")).Add(Masked(kFin | kCont, "\x82")).Error(1007)});
  v.push_back({"invalid UTF-8 is fine in binary messages",
               Stream().Add(Masked(kFin | kBin, "\xff\xed\xa0\x80")).Binary("\xff\xed\xa0\x80")});
  v.push_back({"invalid UTF-8 is fine in pings",
               Stream().Add(Masked(kFin | kPing, "\xff\xc0")).Ping("\xff\xc0")});
  return v;
}

// Decodes `input` delivered in pieces ending at `cuts`, the way a connection does: append what
// arrived, decode until kNeedMore, drop what was consumed. Returns the events as Describe()
// strings with their stream offsets, checking the consumed contract on the way.
std::vector<std::string> Decode(std::string_view input, const std::vector<size_t>& cuts,
                                WsDecoderLimits limits) {
  WsDecoder decoder(limits);
  std::vector<std::string> events;
  std::string buffer;
  size_t offset = 0;  // stream offset of buffer[0]
  size_t start = 0;
  for (size_t cut : cuts) {
    buffer.append(input.substr(start, cut - start));
    start = cut;
    for (;;) {
      size_t consumed = 12345;
      const WsEvent event = decoder.Feed(buffer, &consumed);
      // Plain ifs rather than CHECKs: this loop runs for every byte of every split.
      if (consumed > buffer.size()) FAIL("consumed " << consumed << " of " << buffer.size());
      if (event == WsEvent::kNeedMore) {
        if (consumed != buffer.size()) FAIL_CHECK("kNeedMore left " << buffer.size() - consumed);
        offset += consumed;
        buffer.clear();
        break;
      }
      offset += consumed;
      buffer.erase(0, consumed);
      events.push_back(Describe(event, decoder.opcode(),
                                event == WsEvent::kClose || event == WsEvent::kError
                                    ? decoder.close_reason()
                                    : decoder.payload(),
                                decoder.close_code(), offset));
      if (event == WsEvent::kError) {
        // Any later call repeats the error without consuming anything.
        const uint16_t code = decoder.close_code();
        CHECK(decoder.Feed("\x81\x80\0\0\0\0"sv, &consumed) == WsEvent::kError);
        CHECK(consumed == 0);
        CHECK(decoder.close_code() == code);
        CHECK_FALSE(decoder.close_reason().empty());
        return events;
      }
    }
  }
  return events;
}

// One line per event, so a mismatch prints both sequences.
std::string Join(const std::vector<std::string>& lines) {
  std::string joined;
  for (const std::string& line : lines) joined += line + "\n";
  return joined;
}

void RunVector(const Vector& v, const std::vector<size_t>& splits) {
  const std::string& input = v.stream.bytes;
  const size_t n = input.size();
  const std::vector<std::string> expected = v.stream.events;
  SUBCASE("whole") { CHECK(Join(Decode(input, {n}, v.limits)) == Join(expected)); }
  SUBCASE("byte by byte") {
    std::vector<size_t> cuts;
    for (size_t k = 1; k <= n; ++k) cuts.push_back(k);
    CHECK(Join(Decode(input, cuts, v.limits)) == Join(expected));
  }
  for (size_t k : splits) {
    SUBCASE(("split at " + std::to_string(k)).c_str()) {
      CHECK(Join(Decode(input, {k, n}, v.limits)) == Join(expected));
    }
  }
}

std::vector<size_t> AllSplits(size_t n) {
  std::vector<size_t> splits;
  for (size_t k = 1; k < n; ++k) splits.push_back(k);
  return splits;
}

TEST_CASE("WsDecoder vectors whole, byte by byte and at every split") {
  // doctest reruns the test case from the top for every leaf SUBCASE: build the vectors once.
  static const std::vector<Vector> vectors = Vectors();
  for (const Vector& v : vectors) {
    SUBCASE(v.name.c_str()) { RunVector(v, AllSplits(v.stream.bytes.size())); }
  }
}

std::vector<Vector> LargeVectors() {
  // RFC 6455 section 5.7: 256 bytes with a 16-bit length, 64 KiB with a 64-bit length; plus the
  // 16-bit maximum and a fragmented message of 80 KiB with a ping in the middle.
  std::string bytes256(256, '\0');
  for (size_t i = 0; i < bytes256.size(); ++i) bytes256[i] = static_cast<char>(i);
  std::string bytes64k(65536, '\0');
  for (size_t i = 0; i < bytes64k.size(); ++i) bytes64k[i] = static_cast<char>(i * 7 + 3);
  const std::string max16(65535, 'm');
  const std::string big_text =
      Repeat("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 ", 80 * 1024 / 12);
  std::vector<Vector> vectors;
  vectors.push_back({"rfc 256 bytes unmasked (server frames)",
                     Stream().Add("\x82\x7e\x01\x00"sv).Add(bytes256).Binary(bytes256),
                     ServerFrames()});
  vectors.push_back(
      {"256 bytes masked", Stream().Add(Masked(kFin | kBin, bytes256)).Binary(bytes256)});
  {
    Stream s;
    s.Add("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"sv).Add(bytes64k).Binary(bytes64k);
    vectors.push_back({"rfc 64 KiB unmasked (server frames)", s, ServerFrames()});
  }
  vectors.push_back(
      {"64 KiB masked", Stream().Add(Masked(kFin | kBin, bytes64k)).Binary(bytes64k)});
  vectors.push_back({"65535 bytes, the largest 16-bit length",
                     Stream().Add(Masked(kFin | kText, max16)).Text(max16)});
  {
    const size_t third = big_text.size() / 3;
    Stream s;
    s.Add(Masked(kText, big_text.substr(0, third)))
        .Add(Masked(kFin | kPing, "mid"))
        .Ping("mid")
        .Add(Masked(kCont, big_text.substr(third, third)))
        .Add(Masked(kFin | kCont, big_text.substr(2 * third)))
        .Text(big_text);
    vectors.push_back({"fragmented 80 KiB text with a ping", s});
  }
  return vectors;
}

TEST_CASE("WsDecoder large frames") {
  // doctest reruns the test case from the top for every leaf SUBCASE: build the vectors once.
  static const std::vector<Vector> vectors = LargeVectors();
  for (const Vector& v : vectors) {
    SUBCASE(v.name.c_str()) {
      // The edges and a stride through the middle: every split point would be slow and adds
      // nothing over these.
      const size_t n = v.stream.bytes.size();
      std::set<size_t> splits;
      for (size_t k = 1; k < n; k += k < 16 ? 1 : 8191) splits.insert(k);
      for (size_t k = n > 16 ? n - 15 : 1; k < n; ++k) splits.insert(k);
      RunVector(v, std::vector<size_t>(splits.begin(), splits.end()));
    }
  }
}

TEST_CASE("WsDecoder error reasons") {
  struct Case {
    std::string input;
    WsDecoderLimits limits;
    uint16_t code;
    std::string_view reason;
  };
  const Case cases[] = {
      {"\xc1\x80"s, {}, 1002, "reserved bits set without an extension"},
      {"\x83\x80"s, {}, 1002, "reserved opcode"},
      {"\x09\x80"s, {}, 1002, "fragmented control frame"},
      {"\x00\x80"s, {}, 1002, "continuation frame without a message to continue"},
      {Masked(kText, "a") + "\x81", {}, 1002, "new data frame inside a fragmented message"},
      {"\x81\x00"s, {}, 1002, "unmasked client frame"},
      {"\x81\x80"s, ServerFrames(), 1002, "masked server frame"},
      {"\x89\xfe"s, {}, 1002, "control frame longer than 125 bytes"},
      {"\x88\x81"s, {}, 1002, "close frame with a 1-byte payload"},
      {"\x82\xff\x80\0\0\0\0\0\0\0"s, {}, 1002, "64-bit payload length with the top bit set"},
      {"\x82\x8b"s, MaxMessage(10), 1009, "message too big"},
      {Masked(kFin | kText, "\xff"), {}, 1007, "invalid UTF-8 in a text message"},
      {Masked(kFin | kText, "\xc3"), {}, 1007, "text message ends inside a UTF-8 sequence"},
      {CloseFrame(999, ""), {}, 1002, "invalid close code"},
      {CloseFrame(1000, "\xff"), {}, 1007, "invalid UTF-8 in close reason"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.reason);
    WsDecoder decoder(c.limits);
    size_t consumed = 0;
    REQUIRE(decoder.Feed(c.input, &consumed) == WsEvent::kError);
    CHECK(decoder.close_code() == c.code);
    CHECK(decoder.close_reason() == c.reason);
    CHECK(decoder.close_reason().size() <= 123);
    CHECK(decoder.payload().empty());
  }
}

TEST_CASE("WsDecoder payload views, state and Reset") {
  WsDecoder decoder;
  size_t consumed = 0;
  SUBCASE("a message stays readable until the next Feed, a ping does not disturb a fragment") {
    const std::string input =
        Masked(kText, "frag") + Masked(kFin | kPing, "p") + Masked(kFin | kCont, "ment");
    CHECK_FALSE(decoder.in_message());
    REQUIRE(decoder.Feed(input, &consumed) == WsEvent::kPing);
    CHECK(decoder.in_message());
    CHECK(decoder.payload() == "p");
    const size_t first = consumed;
    REQUIRE(decoder.Feed(std::string_view(input).substr(first), &consumed) == WsEvent::kMessage);
    CHECK(first + consumed == input.size());
    CHECK_FALSE(decoder.in_message());
    CHECK(decoder.opcode() == WsOpcode::kText);
    CHECK(decoder.payload() == "fragment");
    // The view points into the decoder, not into the caller's bytes.
    CHECK((decoder.payload().data() < input.data() ||
           decoder.payload().data() >= input.data() + input.size()));
    CHECK(decoder.Feed("", &consumed) == WsEvent::kNeedMore);
    CHECK(consumed == 0);
    CHECK(decoder.payload().empty());
  }
  SUBCASE("after close everything is ignored until Reset") {
    const std::string input = CloseFrame(1001, "away") + Masked(kFin | kText, "x");
    REQUIRE(decoder.Feed(input, &consumed) == WsEvent::kClose);
    CHECK(decoder.close_code() == 1001);
    CHECK(decoder.close_reason() == "away");
    const std::string_view rest = std::string_view(input).substr(consumed);
    CHECK(decoder.Feed(rest, &consumed) == WsEvent::kNeedMore);
    CHECK(consumed == rest.size());
    decoder.Reset();
    REQUIRE(decoder.Feed(Masked(kFin | kText, "again"), &consumed) == WsEvent::kMessage);
    CHECK(decoder.payload() == "again");
  }
  SUBCASE("Reset clears an error and a half-received message") {
    REQUIRE(decoder.Feed("\xc1"sv, &consumed) == WsEvent::kError);
    decoder.Reset();
    CHECK(decoder.Feed(Masked(kText, "part"), &consumed) == WsEvent::kNeedMore);
    CHECK(decoder.in_message());
    decoder.Reset();
    CHECK_FALSE(decoder.in_message());
    REQUIRE(decoder.Feed(Masked(kFin | kBin, "new"), &consumed) == WsEvent::kMessage);
    CHECK(decoder.opcode() == WsOpcode::kBinary);
    CHECK(decoder.payload() == "new");
  }
  SUBCASE("a copy carries on from the same point with its own buffers") {
    const std::string input = Masked(kText, "copied ") + Masked(kFin | kCont, "message");
    const size_t cut = input.size() - 3;
    REQUIRE(decoder.Feed(std::string_view(input).substr(0, cut), &consumed) == WsEvent::kNeedMore);
    WsDecoder copy = decoder;
    WsDecoder moved = std::move(decoder);
    for (WsDecoder* d : {&copy, &moved}) {
      REQUIRE(d->Feed(std::string_view(input).substr(cut), &consumed) == WsEvent::kMessage);
      CHECK(d->payload() == "copied message");
    }
    CHECK(copy.payload().data() != moved.payload().data());
  }
  SUBCASE("a big message does not pin its buffer: the next one decodes normally") {
    const std::string big(300 * 1024, 'b');
    REQUIRE(decoder.Feed(Masked(kFin | kBin, big), &consumed) == WsEvent::kMessage);
    CHECK(decoder.payload() == big);
    REQUIRE(decoder.Feed(Masked(kFin | kBin, "small"), &consumed) == WsEvent::kMessage);
    CHECK(decoder.payload() == "small");
  }
}

TEST_CASE("WsDecoder::idle only between frames and messages") {
  WsDecoder decoder;
  size_t consumed = 0;
  CHECK(decoder.idle());
  const std::string whole = Masked(kFin | kText, "hello");
  // Every proper prefix leaves a frame half read.
  for (size_t n = 1; n < whole.size(); ++n) {
    WsDecoder partial;
    REQUIRE(partial.Feed(std::string_view(whole).substr(0, n), &consumed) == WsEvent::kNeedMore);
    CHECK_FALSE(partial.idle());
  }
  REQUIRE(decoder.Feed(whole, &consumed) == WsEvent::kMessage);
  CHECK(decoder.idle());
  REQUIRE(decoder.Feed(Masked(kText, "frag"), &consumed) == WsEvent::kNeedMore);
  CHECK_FALSE(decoder.idle());  // a fragmented message is open
  REQUIRE(decoder.Feed(Masked(kFin | kCont, "ment"), &consumed) == WsEvent::kMessage);
  CHECK(decoder.idle());
  REQUIRE(decoder.Feed(CloseFrame(1000, ""), &consumed) == WsEvent::kClose);
  CHECK_FALSE(decoder.idle());  // closed: it must not be replaced by a fresh one
}

TEST_CASE("WsDecoder default limit admits Autobahn's 16 MiB messages") {
  WsDecoder decoder;
  size_t consumed = 0;
  const std::string header = Header(kFin | kBin, true, 16u << 20);
  CHECK(decoder.Feed(header, &consumed) == WsEvent::kNeedMore);
  WsDecoder over;
  const std::string too_big = Header(kFin | kBin, true, (16u << 20) + 1);
  CHECK(over.Feed(too_big, &consumed) == WsEvent::kError);
  CHECK(over.close_code() == 1009);
  CHECK(consumed == 10);  // at the end of the 64-bit length, before the masking key
}

}  // namespace
}  // namespace herald::protocol
