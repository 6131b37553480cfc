#include "protocol/sse.h"

#include <charconv>
#include <cstring>

namespace herald::protocol {
namespace {

using namespace std::literals;

// Bytes an `id:` value may not hold: line breaks would end the field early and let the rest
// become fields of its own, and the event-stream parser ignores an id containing NUL.
constexpr std::string_view kIdUnsafe = "\r\n\0"sv;
// An event name only needs to stay on its line.
constexpr std::string_view kNameUnsafe = "\r\n"sv;

// Writes `name: value\n` with the `unsafe` bytes removed from value; nothing when no byte is
// left. `put` receives the pieces in order.
template <typename Put>
void WriteSanitizedField(std::string_view name, std::string_view value, std::string_view unsafe,
                         Put& put) {
  if (value.find_first_not_of(unsafe) == std::string_view::npos) return;
  put(name);
  put(": "sv);
  while (!value.empty()) {
    const size_t bad = value.find_first_of(unsafe);
    put(value.substr(0, bad));
    if (bad == std::string_view::npos) break;
    value.remove_prefix(bad + 1);
  }
  put("\n"sv);
}

// Writes `text` as lines `<prefix>line\n`, breaking it at every CRLF, CR and LF as the
// event-stream parser will: text that ends with a line break yields a final empty line, and
// empty text one empty line. An empty line is written as the bare field name, without the space.
template <typename Put>
void WriteLines(std::string_view field, std::string_view text, Put& put) {
  for (;;) {
    const size_t brk = text.find_first_of("\r\n"sv);
    const std::string_view line = text.substr(0, brk);
    put(field);
    if (!line.empty()) {
      put(" "sv);
      put(line);
    }
    put("\n"sv);
    if (brk == std::string_view::npos) return;
    const size_t next =
        text[brk] == '\r' && brk + 1 < text.size() && text[brk + 1] == '\n' ? brk + 2 : brk + 1;
    text.remove_prefix(next);
  }
}

template <typename Put>
void WriteRetry(uint32_t retry_ms, Put& put) {
  char digits[10];
  const auto result = std::to_chars(digits, digits + sizeof(digits), retry_ms);
  put("retry: "sv);
  put(std::string_view(digits, static_cast<size_t>(result.ptr - digits)));
  put("\n"sv);
}

template <typename Put>
void WriteEvent(const SseEvent& event, Put& put) {
  if (!event.id.empty()) WriteSanitizedField("id"sv, event.id, kIdUnsafe, put);
  if (!event.event.empty()) WriteSanitizedField("event"sv, event.event, kNameUnsafe, put);
  if (event.retry_ms.has_value()) WriteRetry(*event.retry_ms, put);
  WriteLines("data:"sv, event.data, put);
  put("\n"sv);  // the empty line dispatches the event
}

}  // namespace

size_t SseEventSize(const SseEvent& event) {
  size_t size = 0;
  auto count = [&size](std::string_view piece) { size += piece.size(); };
  WriteEvent(event, count);
  return size;
}

void AppendSseEvent(const SseEvent& event, std::string* out) {
  out->reserve(out->size() + SseEventSize(event));
  auto append = [out](std::string_view piece) { out->append(piece); };
  WriteEvent(event, append);
}

SharedBytes EncodeSseEvent(const SseEvent& event) {
  const size_t size = SseEventSize(event);
  SharedBytes bytes = SharedBytes::Allocate(size);
  char* p = bytes.data();
  auto copy = [&p](std::string_view piece) {
    if (piece.empty()) return;
    std::memcpy(p, piece.data(), piece.size());
    p += piece.size();
  };
  WriteEvent(event, copy);
  bytes.Grow(size);
  return bytes;
}

void AppendSseComment(std::string_view text, std::string* out) {
  auto append = [out](std::string_view piece) { out->append(piece); };
  WriteLines(":"sv, text, append);
}

void AppendSseRetry(uint32_t retry_ms, std::string* out) {
  auto append = [out](std::string_view piece) { out->append(piece); };
  WriteRetry(retry_ms, append);
}

void AppendSsePadding(std::string* out) {
  out->push_back(':');
  out->append(kSsePaddingSize - 2, ' ');
  out->push_back('\n');
}

}  // namespace herald::protocol
