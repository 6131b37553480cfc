#include "protocol/http_request.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace herald::protocol {
namespace {

using namespace std::literals;

// Printable summary of one Feed() outcome: for requests everything the server reads, with the
// stream offset where the request ended; for errors the result only (where exactly an error is
// noticed may depend on the read sizes, the verdict may not).
std::string Describe(HttpResult result, const HttpRequest& r, size_t end) {
  switch (result) {
    case HttpResult::kOk:
    case HttpResult::kUpgrade: {
      std::string s = result == HttpResult::kOk ? "ok " : "upgrade ";
      s += r.method + " " + r.target + " HTTP/" + std::to_string(r.version_major) + "." +
           std::to_string(r.version_minor);
      for (const HttpHeader& h : r.headers) s += " [" + h.name + "=" + h.value + "]";
      s += " body=" + r.body;
      s += r.keep_alive ? " keep-alive" : " close";
      s += "@" + std::to_string(end);
      return s;
    }
    case HttpResult::kNeedMore:
      return "needmore@" + std::to_string(end);
    default:
      return "error " + std::to_string(HttpStatusFor(result));
  }
}

struct Vector {
  std::string name;
  std::string input;
  std::vector<std::string> outcomes;
  HttpLimits limits = {};
};

// Feeds `input` in pieces ending at `cuts` as a connection does: append what arrived, parse
// until kNeedMore, drop what was consumed. Stops at an error or an upgrade; for an upgrade the
// bytes not consumed (the new protocol's) must be exactly the rest of the input.
std::vector<std::string> Parse(std::string_view input, const std::vector<size_t>& cuts,
                               HttpLimits limits) {
  HttpRequestReader reader(limits);
  std::vector<std::string> outcomes;
  std::string buffer;
  size_t offset = 0;
  size_t last_end = 0;  // where the last complete request ended
  size_t start = 0;
  for (size_t cut : cuts) {
    buffer.append(input.substr(start, cut - start));
    start = cut;
    for (;;) {
      size_t consumed = 12345;
      const HttpResult result = reader.Feed(buffer, &consumed);
      // Plain ifs rather than CHECKs: this loop runs for every byte of every split.
      if (consumed > buffer.size()) FAIL("consumed " << consumed << " of " << buffer.size());
      offset += consumed;
      buffer.erase(0, consumed);
      if (result == HttpResult::kNeedMore) {
        if (!buffer.empty()) FAIL_CHECK("kNeedMore left " << buffer.size());
        break;
      }
      outcomes.push_back(Describe(result, reader.request(), offset));
      last_end = offset;
      if (result == HttpResult::kUpgrade) {
        CHECK(buffer + std::string(input.substr(start)) == input.substr(offset));
        return outcomes;
      }
      if (result != HttpResult::kOk) {
        CHECK_FALSE(reader.error().empty());
        // The error sticks.
        CHECK(reader.Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &consumed) == result);
        return outcomes;
      }
    }
  }
  // Bytes after the last complete request are an unfinished one.
  if (offset > last_end) outcomes.push_back("needmore@" + std::to_string(offset));
  return outcomes;
}

HttpLimits Limits(size_t header_bytes, size_t header_count, size_t body_bytes) {
  HttpLimits limits;
  limits.max_header_bytes = header_bytes;
  limits.max_header_count = header_count;
  limits.max_body_bytes = body_bytes;
  return limits;
}

std::string At(size_t n) { return "@" + std::to_string(n); }

std::vector<Vector> Vectors() {
  std::vector<Vector> v;
  auto ok = [](std::string_view request_line_and_headers, std::string_view body, size_t end) {
    return "ok " + std::string(request_line_and_headers) + " body=" + std::string(body) +
           " keep-alive" + At(end);
  };
  {
    const std::string in = "GET /sse/news HTTP/1.1\r\nHost: a\r\n\r\n";
    v.push_back({"simple GET", in, {ok("GET /sse/news HTTP/1.1 [Host=a]", "", in.size())}});
  }
  {
    const std::string in =
        "GET /sse?channel=a&channel=b HTTP/1.1\r\nHost: h\r\nX-A:  v1 \t\r\nx-a: v2\r\n"
        "Empty:\r\nSpaces:   \r\nLast-Event-ID: 7\r\n\r\n";
    v.push_back({"headers kept in order, case and repeats, OWS trimmed",
                 in,
                 {ok("GET /sse?channel=a&channel=b HTTP/1.1 [Host=h] [X-A=v1] [x-a=v2] [Empty=] "
                     "[Spaces=] [Last-Event-ID=7]",
                     "", in.size())}});
  }
  {
    const std::string in =
        "POST /publish/news HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
    v.push_back(
        {"POST with Content-Length",
         in,
         {ok("POST /publish/news HTTP/1.1 [Host=h] [Content-Length=5]", "hello", in.size())}});
  }
  {
    const std::string in =
        "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";
    v.push_back(
        {"chunked body with an extension and a trailer (trailer not kept)",
         in,
         {ok("POST /p HTTP/1.1 [Host=h] [Transfer-Encoding=chunked]", "hello, world", in.size())}});
  }
  {
    const std::string a = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    const std::string b = "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz";
    const std::string c = "\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n";
    v.push_back({"pipelined requests, an empty line between two",
                 a + b + c,
                 {ok("GET /a HTTP/1.1 [Host=h]", "", a.size()),
                  ok("POST /b HTTP/1.1 [Host=h] [Content-Length=3]", "xyz", a.size() + b.size()),
                  ok("GET /c HTTP/1.1 [Host=h]", "", a.size() + b.size() + c.size())}});
  }
  {
    const std::string in = "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    v.push_back({"Connection: close",
                 in,
                 {"ok GET / HTTP/1.1 [Host=h] [Connection=close] body= close" + At(in.size())}});
  }
  {
    const std::string in = "GET / HTTP/1.0\r\n\r\n";
    v.push_back({"HTTP/1.0 closes and needs no Host",
                 in,
                 {"ok GET / HTTP/1.0 body= close" + At(in.size())}});
  }
  {
    const std::string a = "GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    const std::string b = "GET /2 HTTP/1.0\r\n\r\n";
    v.push_back({"HTTP/1.0 keep-alive",
                 a + b,
                 {ok("GET /1 HTTP/1.0 [Connection=keep-alive]", "", a.size()),
                  "ok GET /2 HTTP/1.0 body= close" + At(a.size() + b.size())}});
  }
  {
    const std::string a = "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    v.push_back({"a request after Connection: close",
                 a + "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
                 {"ok GET / HTTP/1.1 [Host=h] [Connection=close] body= close" + At(a.size()),
                  "error 400"}});
  }
  {
    const std::string head =
        "GET /ws/news HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    v.push_back({"WebSocket upgrade; the frame after it is not HTTP",
                 head + "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
                 {"upgrade GET /ws/news HTTP/1.1 [Host=h] [Upgrade=websocket] "
                  "[Connection=Upgrade] [Sec-WebSocket-Key=dGhlIHNhbXBsZSBub25jZQ==] "
                  "[Sec-WebSocket-Version=13] body= keep-alive" +
                  At(head.size())}});
  }
  {
    const std::string head =
        "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\r\n";
    v.push_back({"Upgrade without Connection: upgrade is an ordinary request",
                 head,
                 {ok("GET /ws HTTP/1.1 [Host=h] [Upgrade=websocket] [Connection=keep-alive]", "",
                     head.size())}});
  }
  {
    const std::string head = "GET /x?q=%20 HTTP/1.1\r\nHost: h\r\n\r\n";
    v.push_back({"incomplete second request",
                 head + "GET /y HT",
                 {ok("GET /x?q=%20 HTTP/1.1 [Host=h]", "", head.size()),
                  "needmore" + At(head.size() + 9)}});
  }
  {
    const std::string in = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc";
    v.push_back({"incomplete body", in, {"needmore" + At(in.size())}});
  }

  // Rejected by herald on top of llhttp.
  v.push_back(
      {"obs-fold with SP", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", {"error 400"}});
  v.push_back(
      {"obs-fold with HTAB", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", {"error 400"}});
  v.push_back({"obs-fold after an empty value",
               "GET / HTTP/1.1\r\nX:\r\n b\r\nHost: h\r\n\r\n",
               {"error 400"}});
  v.push_back({"obs-fold of a whitespace-only line",
               "GET / HTTP/1.1\r\nHost: h\r\n \r\n\r\n",
               {"error 400"}});
  v.push_back({"space before the colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", {"error 400"}});
  v.push_back({"tab before the colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", {"error 400"}});
  v.push_back({"space inside a name", "GET / HTTP/1.1\r\nHo st: h\r\n\r\n", {"error 400"}});
  v.push_back({"empty field name", "GET / HTTP/1.1\r\nHost: h\r\n: 20\r\n\r\n", {"error 400"}});
  v.push_back({"HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", {"error 400"}});
  v.push_back({"two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", {"error 400"}});
  v.push_back({"HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", {"error 505"}});
  // Rejected by llhttp itself.
  v.push_back({"HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", {"error 400"}});
  v.push_back({"space at the start of the first header",
               "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
               {"error 400"}});
  v.push_back({"bare LF after a header", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", {"error 400"}});
  v.push_back({"lowercase method", "get / HTTP/1.1\r\nHost: h\r\n\r\n", {"error 400"}});
  v.push_back({"unknown method", "FETCH / HTTP/1.1\r\nHost: h\r\n\r\n", {"error 400"}});
  v.push_back(
      {"control character in a value", "GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n", {"error 400"}});
  v.push_back({"space in the target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", {"error 400"}});
  v.push_back({"duplicate Content-Length",
               "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
               {"error 400"}});
  v.push_back({"Content-Length with Transfer-Encoding",
               "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n"
               "\r\n0\r\n\r\n",
               {"error 400"}});
  v.push_back({"Transfer-Encoding not ending in chunked",
               "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
               {"error 400"}});
  v.push_back({"bad Content-Length",
               "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n",
               {"error 400"}});
  v.push_back({"bad chunk size",
               "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
               {"error 400"}});

  // Limits.
  {
    // A head of exactly 48 bytes passes a 48-byte limit; one byte more does not.
    const std::string head48 = "GET /12345678901 HTTP/1.1\r\nHost: abcdefghijk\r\n\r\n";
    REQUIRE(head48.size() == 48);
    v.push_back({"head at the byte limit",
                 head48,
                 {ok("GET /12345678901 HTTP/1.1 [Host=abcdefghijk]", "", 48)},
                 Limits(48, 100, 100)});
    v.push_back({"head one byte over the limit",
                 "GET /123456789012 HTTP/1.1\r\nHost: abcdefghijk\r\n\r\n",
                 {"error 431"},
                 Limits(48, 100, 100)});
    v.push_back({"the limit is per request",
                 head48 + head48,
                 {ok("GET /12345678901 HTTP/1.1 [Host=abcdefghijk]", "", 48),
                  ok("GET /12345678901 HTTP/1.1 [Host=abcdefghijk]", "", 96)},
                 Limits(48, 100, 100)});
    v.push_back({"endless empty lines count against the head",
                 std::string(60, '\n'),
                 {"error 431"},
                 Limits(48, 100, 100)});
    const std::string in =
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\n\r\n" + std::string(40, 'b');
    v.push_back(
        {"the body does not count against the head",
         in,
         {ok("POST / HTTP/1.1 [Host=h] [Content-Length=40]", std::string(40, 'b'), in.size())},
         Limits(48, 100, 100)});
  }
  {
    const std::string in = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
    v.push_back({"header count at the limit",
                 in,
                 {ok("GET / HTTP/1.1 [Host=h] [A=1] [B=2]", "", in.size())},
                 Limits(1024, 3, 100)});
  }
  v.push_back({"one header too many",
               "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
               {"error 431"},
               Limits(1024, 3, 100)});
  {
    const std::string in = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd";
    v.push_back({"Content-Length at the limit",
                 in,
                 {ok("POST / HTTP/1.1 [Host=h] [Content-Length=4]", "abcd", in.size())},
                 Limits(1024, 100, 4)});
  }
  v.push_back({"Content-Length over the limit fails before the body",
               "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
               {"error 413"},
               Limits(1024, 100, 4)});
  v.push_back({"huge Content-Length",
               "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999\r\n\r\n",
               {"error 413"}});
  {
    const std::string in =
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n"
        "0\r\n\r\n";
    v.push_back({"chunked body at the limit",
                 in,
                 {ok("POST / HTTP/1.1 [Host=h] [Transfer-Encoding=chunked]", "abcd", in.size())},
                 Limits(1024, 100, 4)});
  }
  v.push_back({"chunk over the limit fails at its size line",
               "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\n",
               {"error 413"},
               Limits(1024, 100, 4)});
  v.push_back({"chunk extensions count against the body",
               "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;aaaaaaaaaa\r\n",
               {"error 413"},
               Limits(1024, 100, 4)});
  v.push_back({"trailers count against the body",
               "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
               "Trailer-Name: value\r\n\r\n",
               {"error 413"},
               Limits(1024, 100, 4)});
  return v;
}

// One line per event, so a mismatch prints both sequences.
std::string Join(const std::vector<std::string>& lines) {
  std::string joined;
  for (const std::string& line : lines) joined += line + "\n";
  return joined;
}

void RunVector(const Vector& v) {
  const size_t n = v.input.size();
  SUBCASE("whole") { CHECK(Join(Parse(v.input, {n}, v.limits)) == Join(v.outcomes)); }
  SUBCASE("byte by byte") {
    std::vector<size_t> cuts;
    for (size_t k = 1; k <= n; ++k) cuts.push_back(k);
    CHECK(Join(Parse(v.input, cuts, v.limits)) == Join(v.outcomes));
  }
  for (size_t k = 1; k < n; ++k) {
    SUBCASE(("split at " + std::to_string(k)).c_str()) {
      CHECK(Join(Parse(v.input, {k, n}, v.limits)) == Join(v.outcomes));
    }
  }
}

TEST_CASE("HttpRequestReader vectors whole, byte by byte and at every split") {
  // doctest reruns the test case from the top for every leaf SUBCASE: build the vectors once.
  static const std::vector<Vector> vectors = Vectors();
  for (const Vector& v : vectors) {
    SUBCASE(v.name.c_str()) { RunVector(v); }
  }
}

TEST_CASE("HttpRequestReader consumed, errors and Reset") {
  HttpRequestReader reader;
  size_t consumed = 99;
  SUBCASE("empty input") {
    CHECK(reader.Feed("", &consumed) == HttpResult::kNeedMore);
    CHECK(consumed == 0);
  }
  SUBCASE("the request stays readable until the next Feed, which clears it") {
    const std::string_view two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\n";
    REQUIRE(reader.Feed(two, &consumed) == HttpResult::kOk);
    CHECK(consumed == 28);
    CHECK(reader.request().target == "/a");
    // The server may take the body or anything else out of the request.
    std::string taken = std::move(reader.request().target);
    CHECK(taken == "/a");
    CHECK(reader.Feed(two.substr(consumed), &consumed) == HttpResult::kNeedMore);
    CHECK(consumed == 17);
    CHECK(reader.request().target == "/b");
    CHECK(reader.request().headers.empty());
  }
  SUBCASE("reasons") {
    CHECK(reader.Feed("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", &consumed) ==
          HttpResult::kBadRequest);
    CHECK(reader.error() == "obs-fold (line folding) is not allowed");
    reader.Reset();
    CHECK(reader.error().empty());
    CHECK(reader.Feed("GET / HTTP/1.1\r\nHost : h\r\n\r\n", &consumed) == HttpResult::kBadRequest);
    // llhttp built in strict mode refuses it first, with its own words.
    CHECK((reader.error() == "whitespace between a header field name and the colon" ||
           reader.error() == "Invalid header token"));
    reader.Reset();
    CHECK(reader.Feed("GXT / HTTP/1.1\r\n\r\n", &consumed) == HttpResult::kBadRequest);
    CHECK(reader.error() == "Invalid method encountered");
  }
  SUBCASE("after an upgrade the reader refuses HTTP until Reset") {
    const std::string_view up =
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n";
    REQUIRE(reader.Feed(up, &consumed) == HttpResult::kUpgrade);
    CHECK(reader.request().upgrade);
    CHECK(reader.Feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &consumed) == HttpResult::kBadRequest);
    reader.Reset();
    CHECK(reader.Feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &consumed) == HttpResult::kOk);
    CHECK_FALSE(reader.request().upgrade);
  }
  SUBCASE("Host is optional when so configured") {
    HttpLimits limits;
    limits.require_host = false;
    HttpRequestReader lax(limits);
    CHECK(lax.Feed("GET / HTTP/1.1\r\n\r\n", &consumed) == HttpResult::kOk);
  }
}

TEST_CASE("HttpStatusFor") {
  CHECK(HttpStatusFor(HttpResult::kOk) == 0);
  CHECK(HttpStatusFor(HttpResult::kUpgrade) == 0);
  CHECK(HttpStatusFor(HttpResult::kNeedMore) == 0);
  CHECK(HttpStatusFor(HttpResult::kBadRequest) == 400);
  CHECK(HttpStatusFor(HttpResult::kHeadersTooLarge) == 431);
  CHECK(HttpStatusFor(HttpResult::kBodyTooLarge) == 413);
  CHECK(HttpStatusFor(HttpResult::kVersionNotSupported) == 505);
}

TEST_CASE("HttpRequest header lookup") {
  HttpRequest r;
  r.headers = {{"Connection", "keep-alive, Upgrade"},
               {"X-Multi", "a"},
               {"x-multi", "b"},
               {"Empty", ""},
               {"Upgrade", " websocket ,h2c"}};
  CHECK(r.Header("connection") == "keep-alive, Upgrade");
  CHECK(r.Header("X-MULTI") == "a");
  CHECK(r.HeaderCount("x-multi") == 2);
  CHECK(r.HeaderCount("missing") == 0);
  CHECK(r.FindHeader("missing") == nullptr);
  REQUIRE(r.FindHeader("empty") != nullptr);
  CHECK(r.FindHeader("empty")->empty());
  CHECK(r.Header("missing").empty());
  CHECK(r.HeaderHasToken("Connection", "upgrade"));
  CHECK(r.HeaderHasToken("Connection", "KEEP-ALIVE"));
  CHECK_FALSE(r.HeaderHasToken("Connection", "close"));
  CHECK_FALSE(r.HeaderHasToken("Connection", "Upgrad"));
  CHECK(r.HeaderHasToken("Upgrade", "websocket"));
  CHECK(r.HeaderHasToken("Upgrade", "H2C"));
  CHECK(r.HeaderHasToken("x-multi", "b"));
  CHECK_FALSE(r.HeaderHasToken("Empty", ""));
  r.Clear();
  CHECK(r.headers.empty());
  CHECK(r.keep_alive);
}

TEST_CASE("SplitTarget") {
  CHECK(SplitTarget("/sse/news").path == "/sse/news");
  CHECK(SplitTarget("/sse/news").query.empty());
  CHECK(SplitTarget("/sse?channel=a&channel=b").path == "/sse");
  CHECK(SplitTarget("/sse?channel=a&channel=b").query == "channel=a&channel=b");
  CHECK(SplitTarget("/p?").path == "/p");
  CHECK(SplitTarget("/p?").query.empty());
  CHECK(SplitTarget("/p?a=1?b=2").query == "a=1?b=2");
  CHECK(SplitTarget("/p#frag?x").path == "/p");
  CHECK(SplitTarget("/p#frag?x").query.empty());
  CHECK(SplitTarget("/p?q=1#frag").query == "q=1");
  CHECK(SplitTarget("").path.empty());
  CHECK(SplitTarget("*").path == "*");
}

TEST_CASE("PercentDecode") {
  std::string out = "stale";
  CHECK(PercentDecode("news%2Eall", false, &out));
  CHECK(out == "news.all");
  CHECK(PercentDecode("%e2%82%AC", false, &out));
  CHECK(out == "\xe2\x82\xac");
  CHECK(PercentDecode("a+b%20c", false, &out));
  CHECK(out == "a+b c");
  CHECK(PercentDecode("a+b%2B", true, &out));
  CHECK(out == "a b+");
  CHECK(PercentDecode("%00%2f", false, &out));
  CHECK(out == "\0/"sv);
  CHECK(PercentDecode("", false, &out));
  CHECK(out.empty());
  CHECK_FALSE(PercentDecode("%", false, &out));
  CHECK_FALSE(PercentDecode("a%4", false, &out));
  CHECK_FALSE(PercentDecode("%zz", false, &out));
  CHECK_FALSE(PercentDecode("%4g", false, &out));
  CHECK_FALSE(PercentDecode("%%41", false, &out));
}

TEST_CASE("ParseQuery") {
  std::vector<QueryParam> params = {{"stale", "x"}};
  auto flat = [&params] {
    std::string s;
    for (const QueryParam& p : params) s += "[" + p.name + "=" + p.value + "]";
    return s;
  };
  CHECK(ParseQuery("channel=a&channel=b&pattern=news.*", &params));
  CHECK(flat() == "[channel=a][channel=b][pattern=news.*]");
  CHECK(ParseQuery("", &params));
  CHECK(params.empty());
  CHECK(ParseQuery("&&padding=1&&flag&=v&k=", &params));
  CHECK(flat() == "[padding=1][flag=][=v][k=]");
  CHECK(ParseQuery("lastEventId=42&msg=hello+world%21&a%3Db=c%26d", &params));
  CHECK(flat() == "[lastEventId=42][msg=hello world!][a=b=c&d]");
  CHECK(ParseQuery("x=1=2", &params));
  CHECK(flat() == "[x=1=2]");
  CHECK_FALSE(ParseQuery("ok=1&bad=%G1", &params));
  CHECK_FALSE(ParseQuery("%=1", &params));
}

}  // namespace
}  // namespace herald::protocol
