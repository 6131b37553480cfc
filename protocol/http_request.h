#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::protocol {

// Limits an HttpRequestReader enforces on each request.
struct HttpLimits {
  // Raw bytes of a request head: from the end of the previous request (empty lines llhttp skips
  // between pipelined requests count) through the empty line that ends the headers. One byte
  // more and the request fails with kHeadersTooLarge (431), whatever the read sizes.
  size_t max_header_bytes = 16 * 1024;
  // Header fields per request (trailers of chunked bodies included); more is kHeadersTooLarge.
  size_t max_header_count = 100;
  // Decoded body bytes. A larger Content-Length fails as soon as the headers are complete, a
  // chunked body as soon as a chunk size would take it past the limit; the bytes of chunk
  // extensions and trailers count too, so a chunked request cannot grow without bound either.
  // Failing is kBodyTooLarge (413).
  size_t max_body_bytes = 1024 * 1024;
  // An HTTP/1.1 request must carry exactly one Host header (RFC 9112 section 3.2); otherwise the
  // request is kBadRequest.
  bool require_host = true;
};

// One header field as received: the name with its original case, the value without the
// optional whitespace around it.
struct HttpHeader {
  std::string name;
  std::string value;
};

// A parsed request. Owns all its bytes.
struct HttpRequest {
  std::string method;  // llhttp's name for it: "GET", "POST", ...
  std::string target;  // request-target exactly as sent, e.g. "/sse?channel=a%20b"; see SplitTarget
  int version_major = 1;
  int version_minor = 1;
  std::vector<HttpHeader> headers;  // in arrival order; repeated names are kept, not merged
  std::string body;                 // after chunked decoding
  // Whether the connection may carry another request after this one (HTTP/1.1 without
  // `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`).
  bool keep_alive = true;
  // Set when the request asked to switch protocols (Connection: upgrade plus Upgrade, or
  // CONNECT); HttpRequestReader::Feed then returned kUpgrade.
  bool upgrade = false;

  // The value of the first header called `name` (ASCII case-insensitive), or nullptr.
  const std::string* FindHeader(std::string_view name) const;
  // The same as a view; empty when absent (use FindHeader to tell absent from empty).
  std::string_view Header(std::string_view name) const;
  // How many headers are called `name`.
  size_t HeaderCount(std::string_view name) const;
  // Whether `token` is an element of the comma-separated list formed by all `name` headers
  // (RFC 9110 section 5.6.1), compared case-insensitively: HeaderHasToken("Connection",
  // "upgrade") is true for `Connection: keep-alive, Upgrade`.
  bool HeaderHasToken(std::string_view name, std::string_view token) const;
  // Empties every field (keeping capacity) and restores the defaults.
  void Clear();
};

// What HttpRequestReader::Feed found.
enum class HttpResult {
  kOk,        // a complete request: request() holds it; the caller drops `consumed` bytes and
              // may call Feed again with the rest (pipelining) once the request is handled
  kUpgrade,   // a complete request asking to switch protocols (request().upgrade is set): bytes
              // after `consumed` belong to the new protocol (e.g. WebSocket frames); the reader
              // is finished and only Reset() makes it parse HTTP again
  kNeedMore,  // every byte was absorbed (consumed == data.size()); the request is not complete
  // Errors: the caller answers with HttpStatusFor(result) and closes the connection; error()
  // says why. Every later Feed() repeats the error until Reset().
  kBadRequest,           // 400: malformed, obs-fold, `Host : a`, empty field name, missing
                         // Host, bytes after a request that closes the connection or after
                         // kUpgrade, ...
  kHeadersTooLarge,      // 431: see HttpLimits::max_header_bytes and max_header_count
  kBodyTooLarge,         // 413: see HttpLimits::max_body_bytes
  kVersionNotSupported,  // 505: an HTTP major version other than 1
};

// The HTTP status code to answer an error result with (400, 431, 413, 505); 0 for kOk,
// kUpgrade and kNeedMore.
int HttpStatusFor(HttpResult result);

// Incremental HTTP/1.x request reader on llhttp (request mode, no lenient flags), with herald's
// own limits and checks on top of what llhttp rejects by itself:
// - line folding (obs-fold, RFC 9112 section 5.2) and whitespace between a field name and the
//   colon (`Host : a`, RFC 9112 section 5.1) are 400 in every llhttp build: the Debian llhttp is
//   compiled in loose mode, which accepts both (the latter as a name ending in a space);
// - header and body limits, checked at a position that does not depend on how the input was
//   split into reads;
// - HTTP major version 1 only, and Host per HttpLimits::require_host.
//
// Calling pattern: Feed() every received byte once, in order. The reader absorbs bytes as it
// parses them (llhttp keeps the partial state), so after every call the caller drops `consumed`
// bytes from its buffer. kOk and kUpgrade stop right after the request (llhttp is paused there),
// so pipelined requests come out one per call; kNeedMore consumes everything.
//
// Not copyable or movable: llhttp's callbacks point back to the reader.
class HttpRequestReader {
 public:
  explicit HttpRequestReader(HttpLimits limits = {});
  HttpRequestReader(const HttpRequestReader&) = delete;
  HttpRequestReader& operator=(const HttpRequestReader&) = delete;

  // Parses from the start of `data`. Sets *consumed to the bytes used: through the end of the
  // request for kOk / kUpgrade, all of `data` for kNeedMore, and for errors up to about where the
  // error was found (informational only; the connection is closed anyway). Keeps no pointer
  // into `data`.
  HttpResult Feed(std::string_view data, size_t* consumed);

  // The request after kOk / kUpgrade, valid (and movable-from: the server may take the body)
  // until the next Feed() or Reset(). Before that it holds a partial request.
  const HttpRequest& request() const { return request_; }
  HttpRequest& request() { return request_; }
  // Why the last error happened, e.g. "obs-fold (line folding) is not allowed" or llhttp's
  // reason; empty when there was none. Points to static text.
  std::string_view error() const { return error_; }

  // Starts over as on a new connection; also releases the request's memory.
  void Reset();

 private:
  // Where the reader is in the request stream.
  enum class Phase : uint8_t {
    kHead,      // reading a request line and headers (counted against max_header_bytes)
    kBody,      // headers accepted; reading the body, if any, up to the end of the request
    kComplete,  // a request was returned; the next Feed() clears it and resumes llhttp
    kClosed,    // the request returned last does not allow another on this connection
    kUpgraded,  // kUpgrade was returned; the bytes that follow are not HTTP
    kFailed,    // an error was returned; failed_ repeats it
  };
  // Which callback paused llhttp.
  enum class Pause : uint8_t {
    kNone,             // none: llhttp stopped for another reason (end of input, error)
    kHeadersComplete,  // on_headers_complete: the head ends at the pause position
    kMessageComplete,  // on_message_complete: the request ends at the pause position
  };

  struct Callbacks;  // llhttp's callbacks, in http_request.cc
  friend struct Callbacks;

  HttpResult Fail(HttpResult result, std::string_view reason);
  // Records a failure from inside an llhttp callback; returns the code that stops llhttp.
  int FailInCallback(HttpResult result, std::string_view reason);
  // Adds `length` bytes of chunk extensions or trailers to the body budget; fails the request
  // with kBodyTooLarge from inside a callback when they do not fit.
  int CountFramingBytes(size_t length);
  // Scans head bytes for a line that starts with SP or HTAB (obs-fold); false if one is found.
  bool ScanHead(std::string_view bytes);
  // Prepares for the next request's head.
  void StartHead();

  llhttp_t parser_;
  HttpLimits limits_;
  HttpRequest request_;
  Phase phase_ = Phase::kHead;
  Pause pause_ = Pause::kNone;
  size_t header_bytes_ = 0;       // raw head bytes of the current request fed to llhttp so far
  size_t body_bytes_ = 0;         // decoded body + chunk extension + trailer bytes so far
  size_t field_count_ = 0;        // header fields (trailers included) of the current request so far
  size_t field_length_ = 0;       // bytes of the field name being delivered
  bool field_has_space_ = false;  // that name contains SP or HTAB
  bool after_lf_ = false;         // the last head byte scanned was LF (for the obs-fold check)
  bool in_field_ = false;         // llhttp is delivering a field name (not a value) of request_
  bool in_trailer_ = false;       // header callbacks now deliver trailers of a chunked body
  HttpResult failed_ = HttpResult::kNeedMore;    // the error repeated in Phase::kFailed
  HttpResult callback_error_ = HttpResult::kOk;  // set by FailInCallback
  std::string_view error_;
};

// HttpRequestReader::error() for a body over the limit because of chunk extensions or trailers
// (see HttpLimits::max_body_bytes). Only this kBodyTooLarge may, for a request that is malformed
// further on, come out as kBadRequest instead when the bytes arrive in other read sizes.
inline constexpr std::string_view kFramingTooLarge =
    "chunk extensions and trailers above the body limit";

// A request-target split at its first '?': path is everything before it, query everything
// after it (without the '?'); a '#' and what follows is dropped from both. Views into `target`.
struct TargetParts {
  std::string_view path;
  std::string_view query;
};
TargetParts SplitTarget(std::string_view target);

// Decodes %XX escapes (either hex case) into `out` (replaced, not appended); with `plus_is_space`
// also '+' into ' ', as in application/x-www-form-urlencoded query components. Returns false for
// a '%' not followed by two hex digits, leaving `out` unspecified. The result may contain any
// byte, including NUL, '/' and invalid UTF-8: callers check what they need.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

// One query parameter, decoded.
struct QueryParam {
  std::string name;
  std::string value;
};

// Parses a query string (`channel=a&channel=b&padding=1&flag`) into `params` (replaced): pieces
// are separated by '&', empty pieces skipped, a piece without '=' has an empty value, and names
// and values are percent-decoded with '+' as space. Repeated names are kept in order. Returns
// false on a malformed escape.
bool ParseQuery(std::string_view query, std::vector<QueryParam>* params);

}  // namespace herald::protocol
