#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/shared_bytes.h"

// Server-Sent Events encoder (WHATWG HTML, "Server-sent events", the event stream format).
//
// Payloads are written so that a browser's EventSource hands back exactly what was published,
// with one unavoidable exception: the parser turns every CRLF, lone CR and lone LF into LF, so a
// payload's line breaks arrive as LF. No payload byte can start a field of its own: every line
// break in the data starts a new `data:` line. Bytes are not checked for UTF-8; browsers decode
// the stream as UTF-8 and replace invalid sequences with U+FFFD.
namespace herald::protocol {

// Bytes of the padding comment AppendSsePadding() writes (2 KiB, as the old XDomainRequest-based
// polyfills need before they fire the first event).
inline constexpr size_t kSsePaddingSize = 2048;

// One event (members default to empty, so designated initializers may name only some). Empty
// id and event name are left out; the data is always sent (an event with
// empty data is still dispatched, with data "").
struct SseEvent {
  // `id:` field, which the browser sends back as Last-Event-ID on reconnect. CR, LF and NUL are
  // removed (a NUL would make the browser ignore the field).
  std::string_view id = {};
  // `event:` field: the event type a listener registers for ("message" when left out). CR and
  // LF are removed.
  std::string_view event = {};
  // The payload, split into `data:` lines at every CRLF, CR and LF.
  std::string_view data = {};
  // `retry:` field: the reconnection delay the browser should use, in milliseconds.
  std::optional<uint32_t> retry_ms = std::nullopt;
};

// The exact number of bytes AppendSseEvent() writes for `event`.
size_t SseEventSize(const SseEvent& event);

// Appends `event` followed by the empty line that dispatches it.
void AppendSseEvent(const SseEvent& event, std::string* out);

// `event` in a new SharedBytes of exactly its size, so one published message is encoded once
// and shared by every SSE subscriber. The event must stay below 4 GiB.
SharedBytes EncodeSseEvent(const SseEvent& event);

// Appends a comment (`: heartbeat\n`), which browsers ignore: it keeps proxies and the TCP
// connection from idling out. Line breaks in `text` start new comment lines, so a comment can
// never inject a field.
void AppendSseComment(std::string_view text, std::string* out);

// Appends a lone `retry:` field; it takes effect without dispatching an event.
void AppendSseRetry(uint32_t retry_ms, std::string* out);

// Appends a comment line of kSsePaddingSize bytes in all (the colon, spaces, LF).
void AppendSsePadding(std::string* out);

}  // namespace herald::protocol
