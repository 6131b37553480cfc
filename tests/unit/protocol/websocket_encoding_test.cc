// The WebSocket encoders (server, close and client frames) and the opening handshake. The
// decoder is in websocket_test.cc.

#include <doctest/doctest.h>

#include <cctype>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/http_request.h"
#include "protocol/websocket.h"
#include "tests/unit/protocol/websocket_frames.h"

namespace herald::protocol {
namespace {

using namespace std::literals;
using namespace ws_test;

// ---------------------------------------------------------------------------------------------
// Encoders.

TEST_CASE("Server frame encoding") {
  std::string out;
  SUBCASE("rfc unmasked Hello") {
    AppendWsFrame(WsOpcode::kText, "Hello", &out);
    CHECK(out == "\x81\x05Hello");
  }
  SUBCASE("rfc unmasked fragments") {
    AppendWsFrame(WsOpcode::kText, "Hel", &out, false);
    AppendWsFrame(WsOpcode::kContinuation, "lo", &out);
    CHECK(out == "\x01\x03Hel\x80\x02lo");
  }
  SUBCASE("rfc ping") {
    AppendWsFrame(WsOpcode::kPing, "Hello", &out);
    CHECK(out == "\x89\x05Hello");
  }
  SUBCASE("pong and empty binary") {
    AppendWsFrame(WsOpcode::kPong, "", &out);
    AppendWsFrame(WsOpcode::kBinary, "", &out);
    CHECK(out == "\x8a\x00\x82\x00"sv);
  }
  SUBCASE("length encodings at their edges") {
    for (size_t size : {0u, 125u, 126u, 65535u, 65536u, 70000u}) {
      CAPTURE(size);
      out.clear();
      const std::string payload(size, 'z');
      AppendWsFrame(WsOpcode::kBinary, payload, &out);
      const size_t header = WsFrameHeaderSize(size);
      CHECK(header == (size < 126 ? 2u : size <= 65535 ? 4u : 10u));
      REQUIRE(out.size() == header + size);
      CHECK(out.substr(header) == payload);
      CHECK(static_cast<uint8_t>(out[0]) == 0x82);
    }
    out.clear();
    AppendWsFrame(WsOpcode::kBinary, std::string(256, 'x'), &out);
    CHECK(out.substr(0, 4) == "\x82\x7e\x01\x00"sv);  // RFC 6455 section 5.7
    out.clear();
    AppendWsFrame(WsOpcode::kBinary, std::string(65536, 'x'), &out);
    CHECK(out.substr(0, 10) == "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"sv);
  }
  SUBCASE("control payloads are cut at 125 bytes") {
    AppendWsFrame(WsOpcode::kPing, std::string(200, 'p'), &out);
    CHECK(out == "\x89\x7d" + std::string(125, 'p'));
  }
  SUBCASE("WriteWsFrameHeader") {
    char header[10];
    CHECK(WriteWsFrameHeader(WsOpcode::kText, false, 5, header) == 2);
    CHECK(std::string_view(header, 2) == "\x01\x05");
    CHECK(WriteWsFrameHeader(WsOpcode::kBinary, true, 0x123456789aull, header) == 10);
    CHECK(std::string_view(header, 10) == "\x82\x7f\x00\x00\x00\x12\x34\x56\x78\x9a"sv);
  }
}

TEST_CASE("EncodeWsFrame shares one exact-size block") {
  const std::string payload = "published message";
  SharedBytes frame = EncodeWsFrame(WsOpcode::kText, payload);
  std::string expected;
  AppendWsFrame(WsOpcode::kText, payload, &expected);
  CHECK(frame.view() == expected);
  CHECK(frame.size() == frame.capacity());
  SharedBytes receiver_a = frame;
  SharedBytes receiver_b = frame;
  CHECK(receiver_a.same_block(receiver_b));
  CHECK(frame.use_count() == 3);

  const std::string big(70000, 'q');
  SharedBytes big_frame = EncodeWsFrame(WsOpcode::kBinary, big);
  expected.clear();
  AppendWsFrame(WsOpcode::kBinary, big, &expected);
  CHECK(big_frame.view() == expected);
  CHECK(EncodeWsFrame(WsOpcode::kPing, std::string(300, 'p')).size() == 127);

  // What the server encodes, a client-side decoder reads back.
  WsDecoder client(ServerFrames());
  size_t consumed = 0;
  REQUIRE(client.Feed(frame.view(), &consumed) == WsEvent::kMessage);
  CHECK(consumed == frame.size());
  CHECK(client.payload() == payload);
}

TEST_CASE("Close frame encoding") {
  std::string out;
  SUBCASE("code and reason") {
    AppendWsCloseFrame(1000, "bye", &out);
    CHECK(out ==
          "\x88\x05\x03\xe8"
          "bye"sv);
  }
  SUBCASE("codes that cannot be sent give an empty close") {
    for (uint16_t code : {1005, 1006, 1015}) {
      out.clear();
      AppendWsCloseFrame(code, "ignored", &out);
      CHECK(out == "\x88\x00"sv);
    }
  }
  SUBCASE("long reasons are cut on a character boundary") {
    // 61 two-byte characters are 122 bytes; one more would straddle the 123-byte limit.
    const std::string reason = Repeat("\xce\xba", 70);
    AppendWsCloseFrame(1001, reason, &out);
    REQUIRE(out.size() == 2 + 2 + 122);
    CHECK(out[1] == 124);
    CHECK(IsValidUtf8(out.substr(4)));
    out.clear();
    AppendWsCloseFrame(1001, std::string(200, 'a'), &out);
    CHECK(out.size() == 2 + 125);
  }
  SUBCASE("an error from the decoder round-trips to the peer") {
    WsDecoder decoder;
    size_t consumed = 0;
    REQUIRE(decoder.Feed("\x81\x05"sv, &consumed) == WsEvent::kError);
    AppendWsCloseFrame(decoder.close_code(), decoder.close_reason(), &out);
    WsDecoder client(ServerFrames());
    REQUIRE(client.Feed(out, &consumed) == WsEvent::kClose);
    CHECK(client.close_code() == 1002);
    CHECK(client.close_reason() == "unmasked client frame");
  }
}

TEST_CASE("Masked client frame encoding") {
  std::string out;
  AppendWsMaskedFrame(WsOpcode::kText, "Hello", kKey, &out);
  CHECK(out == "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"sv);  // RFC 6455 section 5.7
  out.clear();
  AppendWsMaskedFrame(WsOpcode::kPong, "Hello", kKey, &out);
  CHECK(out == "\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"sv);
  out.clear();
  const std::string payload(1000, 'w');
  AppendWsMaskedFrame(WsOpcode::kBinary, payload, 0x01020304, &out, false);
  CHECK(out == Masked(kBin, payload, 0, 0x01020304));
}

TEST_CASE("Close code validity") {
  for (uint32_t code = 0; code <= 65535; ++code) {
    const bool expected = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                          (code >= 3000 && code <= 4999);
    if (IsValidWsCloseCode(static_cast<uint16_t>(code)) != expected) FAIL("code " << code);
  }
}

// ---------------------------------------------------------------------------------------------
// Handshake.

HttpRequest Upgrade(std::vector<HttpHeader> extra = {}) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/ws/news";
  request.headers = {{"Host", "server.example.com"},
                     {"Upgrade", "websocket"},
                     {"Connection", "Upgrade"},
                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                     {"Sec-WebSocket-Version", "13"}};
  for (HttpHeader& h : extra) request.headers.push_back(std::move(h));
  return request;
}

HttpRequest Without(HttpRequest request, std::string_view name) {
  std::erase_if(request.headers, [&](const HttpHeader& h) { return h.name == name; });
  return request;
}

HttpRequest With(HttpRequest request, std::string_view name, std::string_view value) {
  request = Without(std::move(request), name);
  request.headers.push_back({std::string(name), std::string(value)});
  return request;
}

TEST_CASE("Sec-WebSocket-Accept") {
  CHECK(WsAcceptKey("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK(WsAcceptKey("x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

TEST_CASE("Handshake accepted") {
  CHECK(CheckWsHandshake(Upgrade()) == WsHandshakeResult::kOk);
  CHECK(WsHandshakeStatus(WsHandshakeResult::kOk) == 101);
  CHECK(BuildWsHandshakeResponse(Upgrade()) ==
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "\r\n");
  CHECK(BuildWsHandshakeResponse(Upgrade(), "X-Herald: 1\r\n") ==
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "X-Herald: 1\r\n"
        "\r\n");
  // Variants browsers and libraries send.
  CHECK(CheckWsHandshake(With(Upgrade(), "Upgrade", "WebSocket")) == WsHandshakeResult::kOk);
  CHECK(CheckWsHandshake(With(Upgrade(), "Connection", "keep-alive, Upgrade")) ==
        WsHandshakeResult::kOk);
  CHECK(CheckWsHandshake(With(Upgrade(), "Connection", "upgrade")) == WsHandshakeResult::kOk);
  CHECK(CheckWsHandshake(With(Upgrade(), "Upgrade", "h2c, websocket")) == WsHandshakeResult::kOk);
  HttpRequest split = With(Upgrade(), "Connection", "keep-alive");
  split.headers.push_back({"connection", "upgrade"});
  CHECK(CheckWsHandshake(split) == WsHandshakeResult::kOk);
  HttpRequest lower = Upgrade();
  for (HttpHeader& h : lower.headers) {
    for (char& c : h.name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  CHECK(CheckWsHandshake(lower) == WsHandshakeResult::kOk);
  // Extensions and subprotocols are simply not taken up; the response never mentions them.
  const HttpRequest deflate =
      Upgrade({{"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"},
               {"Sec-WebSocket-Protocol", "chat"}});
  CHECK(CheckWsHandshake(deflate) == WsHandshakeResult::kOk);
  CHECK(BuildWsHandshakeResponse(deflate).find("Extensions") == std::string::npos);
  CHECK(BuildWsHandshakeResponse(deflate).find("Protocol:") == std::string::npos);
  // HTTP/2-style versions above 1.1 are not refused here (the reader refuses them earlier).
  HttpRequest later = Upgrade();
  later.version_minor = 2;
  CHECK(CheckWsHandshake(later) == WsHandshakeResult::kOk);
}

TEST_CASE("Handshake refused") {
  struct Case {
    const char* name;
    HttpRequest request;
    WsHandshakeResult result;
  };
  HttpRequest post = Upgrade();
  post.method = "POST";
  HttpRequest http10 = Upgrade();
  http10.version_minor = 0;
  HttpRequest two_keys = Upgrade({{"Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4PEA=="}});
  HttpRequest two_versions = Upgrade({{"Sec-WebSocket-Version", "13"}});
  const Case cases[] = {
      {"POST", post, WsHandshakeResult::kNotGet},
      {"HTTP/1.0", http10, WsHandshakeResult::kNotHttp11},
      {"no Host", Without(Upgrade(), "Host"), WsHandshakeResult::kNoHost},
      {"no Upgrade", Without(Upgrade(), "Upgrade"), WsHandshakeResult::kNoUpgrade},
      {"Upgrade h2c", With(Upgrade(), "Upgrade", "h2c"), WsHandshakeResult::kNoUpgrade},
      {"Upgrade websocketx", With(Upgrade(), "Upgrade", "websocketx"),
       WsHandshakeResult::kNoUpgrade},
      {"no Connection", Without(Upgrade(), "Connection"), WsHandshakeResult::kNoConnectionUpgrade},
      {"Connection keep-alive", With(Upgrade(), "Connection", "keep-alive"),
       WsHandshakeResult::kNoConnectionUpgrade},
      {"Connection upgrades", With(Upgrade(), "Connection", "upgrades"),
       WsHandshakeResult::kNoConnectionUpgrade},
      {"no key", Without(Upgrade(), "Sec-WebSocket-Key"), WsHandshakeResult::kBadKey},
      {"two keys", two_keys, WsHandshakeResult::kBadKey},
      {"empty key", With(Upgrade(), "Sec-WebSocket-Key", ""), WsHandshakeResult::kBadKey},
      {"key 23 chars", With(Upgrade(), "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ="),
       WsHandshakeResult::kBadKey},
      {"key of 15 bytes", With(Upgrade(), "Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA"),
       WsHandshakeResult::kBadKey},
      {"key of 17 bytes", With(Upgrade(), "Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAAA="),
       WsHandshakeResult::kBadKey},
      {"key of 18 bytes", With(Upgrade(), "Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAAAA"),
       WsHandshakeResult::kBadKey},
      {"key with a bad character", With(Upgrade(), "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25j!Q=="),
       WsHandshakeResult::kBadKey},
      {"key with inner space", With(Upgrade(), "Sec-WebSocket-Key", "dGhlIHNhbXBsZS Bub25jZQ=="),
       WsHandshakeResult::kBadKey},
      {"no version", Without(Upgrade(), "Sec-WebSocket-Version"), WsHandshakeResult::kNoVersion},
      {"version 8", With(Upgrade(), "Sec-WebSocket-Version", "8"),
       WsHandshakeResult::kUnsupportedVersion},
      {"version list", With(Upgrade(), "Sec-WebSocket-Version", "13, 8"),
       WsHandshakeResult::kUnsupportedVersion},
      {"version 013", With(Upgrade(), "Sec-WebSocket-Version", "013"),
       WsHandshakeResult::kUnsupportedVersion},
      {"two versions", two_versions, WsHandshakeResult::kUnsupportedVersion},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK(CheckWsHandshake(c.request) == c.result);
  }
}

TEST_CASE("Handshake rejections") {
  CHECK(WsHandshakeStatus(WsHandshakeResult::kUnsupportedVersion) == 426);
  const std::string r426 = BuildWsHandshakeRejection(WsHandshakeResult::kUnsupportedVersion);
  CHECK(r426 ==
        "HTTP/1.1 426 Upgrade Required\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Content-Type: text/plain\r\n"
        "Content-Length: 39\r\n"
        "Connection: close\r\n"
        "\r\n"
        "Only WebSocket version 13 is supported\n");
  for (WsHandshakeResult r :
       {WsHandshakeResult::kNotGet, WsHandshakeResult::kNotHttp11, WsHandshakeResult::kNoHost,
        WsHandshakeResult::kNoUpgrade, WsHandshakeResult::kNoConnectionUpgrade,
        WsHandshakeResult::kBadKey, WsHandshakeResult::kNoVersion}) {
    CHECK(WsHandshakeStatus(r) == 400);
    const std::string response = BuildWsHandshakeRejection(r);
    CHECK(response.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
    const size_t body = response.find("\r\n\r\n") + 4;
    CHECK(response.substr(0, body).find("Sec-WebSocket-Version") == std::string::npos);
    // The Content-Length matches the body.
    const size_t length_at = response.find("Content-Length: ") + 16;
    CHECK(std::stoul(response.substr(length_at)) == response.size() - body);
  }
}

TEST_CASE("Handshake of a parsed browser request, then frames in the same read") {
  // Chrome's request, followed at once by the first masked frame.
  const std::string frame = Masked(kFin | kText, "hi");
  const std::string input =
      "GET /ws/news HTTP/1.1\r\n"
      "Host: localhost:8080\r\n"
      "Connection: Upgrade\r\n"
      "Pragma: no-cache\r\n"
      "Upgrade: websocket\r\n"
      "Origin: http://localhost:8080\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
      "\r\n" +
      frame;
  HttpRequestReader reader;
  size_t consumed = 0;
  REQUIRE(reader.Feed(input, &consumed) == HttpResult::kUpgrade);
  CHECK(consumed == input.size() - frame.size());
  CHECK(CheckWsHandshake(reader.request()) == WsHandshakeResult::kOk);
  CHECK(BuildWsHandshakeResponse(reader.request()).find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") !=
        std::string::npos);
  WsDecoder decoder;
  size_t used = 0;
  REQUIRE(decoder.Feed(std::string_view(input).substr(consumed), &used) == WsEvent::kMessage);
  CHECK(decoder.payload() == "hi");
}

}  // namespace
}  // namespace herald::protocol
