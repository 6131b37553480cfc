#include "protocol/sse.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::protocol {
namespace {

using namespace std::literals;

// The event-stream interpretation algorithm of the WHATWG HTML standard ("Server-sent events",
// parsing an event stream), written from the spec so the encoder is checked against what
// EventSource does, not against itself. Accepts the stream in arbitrary pieces.
class EventStreamParser {
 public:
  struct Event {
    std::string type;
    std::string data;
    std::string last_event_id;
  };

  void Feed(std::string_view chunk) {
    for (char c : chunk) {
      if (after_cr_ && c == '\n') {  // the LF of a CRLF pair
        after_cr_ = false;
        continue;
      }
      after_cr_ = false;
      if (c == '\r' || c == '\n') {
        ProcessLine();
        after_cr_ = c == '\r';
      } else {
        line_.push_back(c);
      }
    }
  }

  std::vector<Event> events;
  std::vector<std::string> comments;
  int64_t retry = -1;

 private:
  void ProcessLine() {
    std::string line;
    line.swap(line_);
    const std::string_view view = line;
    if (view.empty()) return Dispatch();
    if (view.front() == ':') {
      comments.emplace_back(view.substr(1));
      return;
    }
    std::string_view field = view;
    std::string_view value;
    const size_t colon = view.find(':');
    if (colon != std::string_view::npos) {
      field = view.substr(0, colon);
      value = view.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "event") {
      type_ = value;
    } else if (field == "data") {
      data_ += value;
      data_ += '\n';
    } else if (field == "id") {
      if (value.find('\0') == std::string_view::npos) id_ = value;
    } else if (field == "retry") {
      if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos) {
        retry = std::stoll(std::string(value));
      }
    }
  }

  void Dispatch() {
    last_event_id_ = id_;
    if (data_.empty()) {
      type_.clear();
      return;
    }
    if (data_.back() == '\n') data_.pop_back();
    events.push_back({type_.empty() ? "message" : type_, data_, last_event_id_});
    data_.clear();
    type_.clear();
  }

  std::string line_;
  bool after_cr_ = false;
  std::string data_;
  std::string type_;
  std::string id_;
  std::string last_event_id_;
};

// What EventSource delivers for a payload: every CRLF, CR and LF becomes LF.
std::string Normalize(std::string_view payload) {
  std::string out;
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < payload.size() && payload[i + 1] == '\n') ++i;
    } else {
      out.push_back(payload[i]);
    }
  }
  return out;
}

struct Vector {
  const char* name;
  SseEvent event;
  std::string_view wire;
  // What the browser sees.
  std::string_view type;
  std::string_view data;
  std::string_view id;
};

const Vector kVectors[] = {
    {"plain data", {.data = "hello"}, "data: hello\n\n"sv, "message", "hello", ""},
    {"empty data is still an event", {}, "data:\n\n"sv, "message", "", ""},
    {"all fields",
     {.id = "42", .event = "news", .data = "hi", .retry_ms = 3000},
     "id: 42\nevent: news\nretry: 3000\ndata: hi\n\n"sv,
     "news",
     "hi",
     "42"},
    {"LF splits lines", {.data = "a\nb"}, "data: a\ndata: b\n\n"sv, "message", "a\nb", ""},
    {"CRLF splits lines once", {.data = "a\r\nb"}, "data: a\ndata: b\n\n"sv, "message", "a\nb", ""},
    {"lone CR splits lines", {.data = "a\rb"}, "data: a\ndata: b\n\n"sv, "message", "a\nb", ""},
    {"empty line inside",
     {.data = "a\n\nb"},
     "data: a\ndata:\ndata: b\n\n"sv,
     "message",
     "a\n\nb",
     ""},
    {"CR then CRLF",
     {.data = "a\r\r\nb"},
     "data: a\ndata:\ndata: b\n\n"sv,
     "message",
     "a\n\nb",
     ""},
    {"LF CR is two breaks",
     {.data = "a\n\rb"},
     "data: a\ndata:\ndata: b\n\n"sv,
     "message",
     "a\n\nb",
     ""},
    {"trailing LF kept", {.data = "a\n"}, "data: a\ndata:\n\n"sv, "message", "a\n", ""},
    {"only a line break", {.data = "\r\n"}, "data:\ndata:\n\n"sv, "message", "\n", ""},
    {"field injection stays data",
     {.data = "x\nid: 666\nevent: evil\nretry: 1\n\ndata: y"},
     "data: x\ndata: id: 666\ndata: event: evil\ndata: retry: 1\ndata:\ndata: data: y\n\n"sv,
     "message",
     "x\nid: 666\nevent: evil\nretry: 1\n\ndata: y",
     ""},
    {"leading space survives", {.data = " x"}, "data:  x\n\n"sv, "message", " x", ""},
    {"leading colon is not a comment", {.data = ":x"}, "data: :x\n\n"sv, "message", ":x", ""},
    {"NUL and high bytes pass through",
     {.data = "a\0b\xff"sv},
     "data: a\0b\xff\n\n"sv,
     "message",
     "a\0b\xff"sv,
     ""},
    {"id line breaks and NUL removed",
     {.id = "1\r\n2\0003"sv, .data = "d"},
     "id: 123\ndata: d\n\n"sv,
     "message",
     "d",
     "123"},
    {"id of only line breaks left out",
     {.id = "\r\n", .data = "d"},
     "data: d\n\n"sv,
     "message",
     "d",
     ""},
    {"event name line breaks removed",
     {.event = "ne\nws\r", .data = "d"},
     "event: news\ndata: d\n\n"sv,
     "news",
     "d",
     ""},
    {"event name injection attempt",
     {.event = "x\ndata: evil", .data = "d"},
     "event: xdata: evil\ndata: d\n\n"sv,
     "xdata: evil",
     "d",
     ""},
    {"retry zero", {.data = "d", .retry_ms = 0}, "retry: 0\ndata: d\n\n"sv, "message", "d", ""},
};

TEST_CASE("SSE event encoding, and EventSource parsing it at every split") {
  for (const Vector& v : kVectors) {
    SUBCASE(v.name) {
      std::string out = "prefix";
      AppendSseEvent(v.event, &out);
      CHECK(out == "prefix" + std::string(v.wire));
      CHECK(SseEventSize(v.event) == v.wire.size());
      const SharedBytes shared = EncodeSseEvent(v.event);
      CHECK(shared.view() == v.wire);
      CHECK(shared.size() == shared.capacity());

      auto check = [&](const std::vector<size_t>& cuts) {
        EventStreamParser parser;
        size_t start = 0;
        for (size_t cut : cuts) {
          parser.Feed(v.wire.substr(start, cut - start));
          start = cut;
        }
        REQUIRE(parser.events.size() == 1);
        CHECK(parser.events[0].type == v.type);
        CHECK(parser.events[0].data == v.data);
        CHECK(parser.events[0].last_event_id == v.id);
        CHECK(parser.events[0].data == Normalize(v.event.data));
      };
      const size_t n = v.wire.size();
      SUBCASE("whole") { check({n}); }
      SUBCASE("byte by byte") {
        std::vector<size_t> cuts;
        for (size_t k = 1; k <= n; ++k) cuts.push_back(k);
        check(cuts);
      }
      for (size_t k = 1; k < n; ++k) {
        SUBCASE(("split at " + std::to_string(k)).c_str()) { check({k, n}); }
      }
    }
  }
}

TEST_CASE("SSE payloads always come back as EventSource normalizes them") {
  // Payloads built from the troublesome pieces, by a fixed pseudo-random sequence.
  const std::string_view pieces[] = {"\r",    "\n",    "\r\n",    "a",    " ",        ":",
                                     "data:", "id: 1", "event:x", "\0"sv, "retry: 5", "\xce\xba"};
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1103515245u + 12345u;
    return state >> 16;
  };
  EventStreamParser parser;
  std::string stream;
  std::vector<std::string> payloads;
  for (int i = 0; i < 500; ++i) {
    std::string payload;
    const uint32_t count = next() % 12;
    for (uint32_t k = 0; k < count; ++k) payload += pieces[next() % std::size(pieces)];
    payloads.push_back(payload);
    AppendSseEvent({.id = std::to_string(i), .data = payload}, &stream);
  }
  parser.Feed(stream);
  REQUIRE(parser.events.size() == payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    CAPTURE(i);
    CHECK(parser.events[i].type == "message");
    CHECK(parser.events[i].data == Normalize(payloads[i]));
    CHECK(parser.events[i].last_event_id == std::to_string(i));
  }
}

TEST_CASE("SSE comments, retry and padding") {
  std::string out;
  SUBCASE("heartbeat") {
    AppendSseComment("heartbeat", &out);
    CHECK(out == ": heartbeat\n");
  }
  SUBCASE("empty comment") {
    AppendSseComment("", &out);
    CHECK(out == ":\n");
  }
  SUBCASE("line breaks start new comment lines") {
    AppendSseComment("a\r\ndata: evil\n", &out);
    CHECK(out == ": a\n: data: evil\n:\n");
    EventStreamParser parser;
    parser.Feed(out + "data: real\n\n");
    REQUIRE(parser.events.size() == 1);
    CHECK(parser.events[0].data == "real");
  }
  SUBCASE("retry") {
    AppendSseRetry(15000, &out);
    CHECK(out == "retry: 15000\n");
    out.clear();
    AppendSseRetry(4294967295u, &out);
    CHECK(out == "retry: 4294967295\n");
    EventStreamParser parser;
    parser.Feed(out);
    CHECK(parser.retry == 4294967295ll);
    CHECK(parser.events.empty());
  }
  SUBCASE("padding") {
    AppendSsePadding(&out);
    REQUIRE(out.size() == kSsePaddingSize);
    CHECK(out.front() == ':');
    CHECK(out.back() == '\n');
    CHECK(out.find_first_not_of(' ', 1) == out.size() - 1);
    EventStreamParser parser;
    parser.Feed(out);
    AppendSseEvent({.data = "first"}, &out);
    parser.Feed(std::string_view(out).substr(kSsePaddingSize));
    REQUIRE(parser.events.size() == 1);
    CHECK(parser.events[0].data == "first");
    CHECK(parser.comments.size() == 1);
  }
}

}  // namespace
}  // namespace herald::protocol
