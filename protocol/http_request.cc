#include "protocol/http_request.h"

#include <algorithm>
#include <cstring>

#include "protocol/numbers.h"

namespace herald::protocol {
namespace {

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

const std::string* HttpRequest::FindHeader(std::string_view name) const {
  for (const HttpHeader& header : headers) {
    if (EqualsIgnoreCase(header.name, name)) return &header.value;
  }
  return nullptr;
}

std::string_view HttpRequest::Header(std::string_view name) const {
  const std::string* value = FindHeader(name);
  return value != nullptr ? std::string_view(*value) : std::string_view();
}

size_t HttpRequest::HeaderCount(std::string_view name) const {
  return static_cast<size_t>(
      std::count_if(headers.begin(), headers.end(),
                    [&](const HttpHeader& h) { return EqualsIgnoreCase(h.name, name); }));
}

bool HttpRequest::HeaderHasToken(std::string_view name, std::string_view token) const {
  for (const HttpHeader& header : headers) {
    if (!EqualsIgnoreCase(header.name, name)) continue;
    std::string_view rest = header.value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view element = TrimOws(rest.substr(0, comma));
      if (EqualsIgnoreCase(element, token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

void HttpRequest::Clear() {
  method.clear();
  target.clear();
  version_major = 1;
  version_minor = 1;
  headers.clear();
  body.clear();
  keep_alive = true;
  upgrade = false;
}

int HttpStatusFor(HttpResult result) {
  switch (result) {
    case HttpResult::kOk:
    case HttpResult::kUpgrade:
    case HttpResult::kNeedMore:
      return 0;
    case HttpResult::kBadRequest:
      return 400;
    case HttpResult::kHeadersTooLarge:
      return 431;
    case HttpResult::kBodyTooLarge:
      return 413;
    case HttpResult::kVersionNotSupported:
      return 505;
  }
  return 400;
}

// llhttp calls these with parser->data pointing to the reader. Each returns 0 to go on,
// HPE_PAUSED to stop llhttp at a point Feed() must look at, or HPE_USER after FailInCallback()
// (which records the failure for Feed()).
struct HttpRequestReader::Callbacks {
  static HttpRequestReader& Self(llhttp_t* parser) {
    return *static_cast<HttpRequestReader*>(parser->data);
  }

  static int OnUrl(llhttp_t* parser, const char* at, size_t length) {
    Self(parser).request_.target.append(at, length);
    return 0;
  }

  // A name may arrive in several spans (a read can end inside it), so every check on it waits
  // for OnHeaderFieldComplete, at the colon: the verdict then does not depend on read sizes.
  static int OnHeaderField(llhttp_t* parser, const char* at, size_t length) {
    HttpRequestReader& self = Self(parser);
    if (!self.in_field_) {
      self.in_field_ = true;
      self.field_length_ = 0;
      self.field_has_space_ = false;
      if (!self.in_trailer_) self.request_.headers.emplace_back();
    }
    const std::string_view span(at, length);
    self.field_length_ += length;
    if (span.find_first_of(" \t") != std::string_view::npos) self.field_has_space_ = true;
    if (self.in_trailer_) return self.CountFramingBytes(length);
    self.request_.headers.back().name.append(span);
    return 0;
  }

  static int OnHeaderFieldComplete(llhttp_t* parser) {
    HttpRequestReader& self = Self(parser);
    // llhttp (strict or loose) takes a line starting with ':' as a header with an empty name; a
    // field name is a token of at least one character (RFC 9110 section 5.1).
    if (!self.in_field_ || self.field_length_ == 0) {
      return self.FailInCallback(HttpResult::kBadRequest, "empty header field name");
    }
    // A name never contains whitespace. Strict llhttp rejects `Host : a` by itself, but the
    // loose build (Debian's default) hands over "Host " — a request-smuggling vector when a
    // proxy in front reads the header differently (RFC 9112 section 5.1 demands a 400).
    if (self.field_has_space_) {
      return self.FailInCallback(HttpResult::kBadRequest,
                                 "whitespace between a header field name and the colon");
    }
    if (++self.field_count_ > self.limits_.max_header_count) {
      return self.FailInCallback(HttpResult::kHeadersTooLarge, "too many header fields");
    }
    self.in_field_ = false;
    return 0;
  }

  static int OnHeaderValue(llhttp_t* parser, const char* at, size_t length) {
    HttpRequestReader& self = Self(parser);
    if (self.in_trailer_) return self.CountFramingBytes(length);
    self.request_.headers.back().value.append(at, length);
    return 0;
  }

  static int OnHeaderValueComplete(llhttp_t* parser) {
    HttpRequestReader& self = Self(parser);
    if (self.in_trailer_) return 0;
    // llhttp skips the whitespace before a value but hands over the one after it.
    std::string& value = self.request_.headers.back().value;
    while (!value.empty() && IsOws(value.back())) value.pop_back();
    return 0;
  }

  static int OnHeadersComplete(llhttp_t* parser) {
    HttpRequestReader& self = Self(parser);
    HttpRequest& request = self.request_;
    self.in_trailer_ = true;  // header callbacks from now on deliver trailers
    request.method = llhttp_method_name(static_cast<llhttp_method_t>(parser->method));
    request.version_major = parser->http_major;
    request.version_minor = parser->http_minor;
    if (parser->http_major != 1) {
      return self.FailInCallback(HttpResult::kVersionNotSupported, "HTTP version not supported");
    }
    if (self.limits_.require_host && parser->http_minor >= 1 && request.HeaderCount("Host") != 1) {
      return self.FailInCallback(HttpResult::kBadRequest,
                                 "HTTP/1.1 request without exactly one Host");
    }
    if ((parser->flags & F_CONTENT_LENGTH) != 0 &&
        parser->content_length > self.limits_.max_body_bytes) {
      return self.FailInCallback(HttpResult::kBodyTooLarge, "Content-Length above the body limit");
    }
    // Pause so that Feed() learns where the head ends: it scans the head bytes for obs-fold and
    // stops counting them against max_header_bytes there.
    self.pause_ = Pause::kHeadersComplete;
    return HPE_PAUSED;
  }

  static int OnBody(llhttp_t* parser, const char* at, size_t length) {
    HttpRequestReader& self = Self(parser);
    // Content-Length and chunk sizes were checked before their bytes came; this is a backstop.
    if (length > self.limits_.max_body_bytes - self.body_bytes_) {
      return self.FailInCallback(HttpResult::kBodyTooLarge, "body above the body limit");
    }
    self.body_bytes_ += length;
    self.request_.body.append(at, length);
    return 0;
  }

  static int OnChunkHeader(llhttp_t* parser) {
    HttpRequestReader& self = Self(parser);
    // content_length holds the announced chunk size: refuse before reading the chunk.
    if (parser->content_length > self.limits_.max_body_bytes - self.body_bytes_) {
      return self.FailInCallback(HttpResult::kBodyTooLarge, "chunked body above the body limit");
    }
    return 0;
  }

  static int OnChunkExtension(llhttp_t* parser, const char*, size_t length) {
    return Self(parser).CountFramingBytes(length);
  }

  static int OnMessageComplete(llhttp_t* parser) {
    HttpRequestReader& self = Self(parser);
    self.request_.keep_alive = llhttp_should_keep_alive(parser) != 0;
    self.request_.upgrade = parser->upgrade != 0;
    // Pause so that one request comes out per Feed() and pipelined bytes stay unparsed.
    self.pause_ = Pause::kMessageComplete;
    return HPE_PAUSED;
  }

  // Immutable, shared by every reader (llhttp keeps a pointer to it).
  static const llhttp_settings_t kSettings;
};

const llhttp_settings_t HttpRequestReader::Callbacks::kSettings = {
    .on_message_begin = nullptr,
    .on_url = &Callbacks::OnUrl,
    .on_status = nullptr,
    .on_method = nullptr,
    .on_version = nullptr,
    .on_header_field = &Callbacks::OnHeaderField,
    .on_header_value = &Callbacks::OnHeaderValue,
    .on_chunk_extension_name = &Callbacks::OnChunkExtension,
    .on_chunk_extension_value = &Callbacks::OnChunkExtension,
    .on_headers_complete = &Callbacks::OnHeadersComplete,
    .on_body = &Callbacks::OnBody,
    .on_message_complete = &Callbacks::OnMessageComplete,
    .on_url_complete = nullptr,
    .on_status_complete = nullptr,
    .on_method_complete = nullptr,
    .on_version_complete = nullptr,
    .on_header_field_complete = &Callbacks::OnHeaderFieldComplete,
    .on_header_value_complete = &Callbacks::OnHeaderValueComplete,
    .on_chunk_extension_name_complete = nullptr,
    .on_chunk_extension_value_complete = nullptr,
    .on_chunk_header = &Callbacks::OnChunkHeader,
    .on_chunk_complete = nullptr,
    .on_reset = nullptr,
};

HttpRequestReader::HttpRequestReader(HttpLimits limits) : limits_(limits) { Reset(); }

void HttpRequestReader::Reset() {
  llhttp_init(&parser_, HTTP_REQUEST, &Callbacks::kSettings);
  parser_.data = this;
  request_ = HttpRequest();
  phase_ = Phase::kHead;
  pause_ = Pause::kNone;
  failed_ = HttpResult::kNeedMore;
  callback_error_ = HttpResult::kOk;
  error_ = {};
  StartHead();
}

void HttpRequestReader::StartHead() {
  request_.Clear();
  header_bytes_ = 0;
  body_bytes_ = 0;
  field_count_ = 0;
  after_lf_ = false;
  in_field_ = false;
  in_trailer_ = false;
}

HttpResult HttpRequestReader::Fail(HttpResult result, std::string_view reason) {
  phase_ = Phase::kFailed;
  failed_ = result;
  error_ = reason;
  return result;
}

int HttpRequestReader::FailInCallback(HttpResult result, std::string_view reason) {
  callback_error_ = result;
  error_ = reason;
  return HPE_USER;
}

int HttpRequestReader::CountFramingBytes(size_t length) {
  // Checked as the bytes arrive, not when the extension or trailer ends, so that one endless
  // token cannot stream forever. The price: when such a request is also malformed further on,
  // whether the 413 or llhttp's 400 comes first depends on where the reads ended.
  if (length > limits_.max_body_bytes - body_bytes_) {
    return FailInCallback(HttpResult::kBodyTooLarge, kFramingTooLarge);
  }
  body_bytes_ += length;
  return 0;
}

bool HttpRequestReader::ScanHead(std::string_view bytes) {
  for (char c : bytes) {
    if (after_lf_ && IsOws(c)) return false;
    after_lf_ = c == '\n';
  }
  return true;
}

HttpResult HttpRequestReader::Feed(std::string_view data, size_t* consumed) {
  *consumed = 0;
  switch (phase_) {
    case Phase::kFailed:
      return failed_;
    case Phase::kClosed:
      // Nothing may follow; an empty call (a caller draining its buffer) is no violation.
      if (data.empty()) return HttpResult::kNeedMore;
      return Fail(HttpResult::kBadRequest, "data after a request that closes the connection");
    case Phase::kUpgraded:
      if (data.empty()) return HttpResult::kNeedMore;
      return Fail(HttpResult::kBadRequest, "HTTP data after an upgrade");
    case Phase::kComplete:
      llhttp_resume(&parser_);
      phase_ = Phase::kHead;
      StartHead();
      break;
    case Phase::kHead:
    case Phase::kBody:
      break;
  }
  // llhttp forgets a span in progress when handed a null pointer, so empty input still points
  // somewhere.
  const char* base = data.empty() ? "" : data.data();
  size_t pos = 0;
  for (;;) {
    size_t length = data.size() - pos;
    // Never hand llhttp more head bytes than the limit allows: the limit then trips at the same
    // byte whatever the read sizes, and a huge read cannot make llhttp work past it.
    if (phase_ == Phase::kHead) length = std::min(length, limits_.max_header_bytes - header_bytes_);
    pause_ = Pause::kNone;
    const llhttp_errno_t err = llhttp_execute(&parser_, base + pos, length);
    const size_t used =
        err == HPE_OK ? length : static_cast<size_t>(llhttp_get_error_pos(&parser_) - (base + pos));
    if (phase_ == Phase::kHead) {
      header_bytes_ += used;
      if (!ScanHead(std::string_view(base + pos, used))) {
        *consumed = pos + used;
        return Fail(HttpResult::kBadRequest, "obs-fold (line folding) is not allowed");
      }
    }
    pos += used;
    *consumed = pos;
    if (err == HPE_OK) {
      // Everything handed over was parsed; in the head phase, a head that used the whole budget
      // without ending is over the limit (its end needs at least one more byte).
      if (phase_ == Phase::kHead && header_bytes_ == limits_.max_header_bytes) {
        return Fail(HttpResult::kHeadersTooLarge, "request head above the header limit");
      }
      return HttpResult::kNeedMore;
    }
    if (err == HPE_PAUSED && pause_ == Pause::kHeadersComplete) {
      // Go on even when no byte is left: llhttp completes a request without a body only when
      // executed again.
      phase_ = Phase::kBody;
      llhttp_resume(&parser_);
      continue;
    }
    if (err == HPE_PAUSED && pause_ == Pause::kMessageComplete) {
      if (request_.upgrade) {
        phase_ = Phase::kUpgraded;
        return HttpResult::kUpgrade;
      }
      phase_ = request_.keep_alive ? Phase::kComplete : Phase::kClosed;
      return HttpResult::kOk;
    }
    // llhttp reports a callback's failure as HPE_USER or as its own HPE_CB_* code, depending on
    // the callback; what failed is recorded here either way.
    if (callback_error_ != HttpResult::kOk) return Fail(callback_error_, error_);
    const char* reason = llhttp_get_error_reason(&parser_);
    return Fail(HttpResult::kBadRequest, reason != nullptr ? reason : llhttp_errno_name(err));
  }
}

TargetParts SplitTarget(std::string_view target) {
  const size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return false;
      const int high = HexValue(in[i + 1]);
      const int low = HexValue(in[i + 2]);
      if (high < 0 || low < 0) return false;
      out->push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ParseQuery(std::string_view query, std::vector<QueryParam>* params) {
  params->clear();
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    QueryParam& param = params->emplace_back();
    if (!PercentDecode(piece.substr(0, eq), true, &param.name)) return false;
    if (eq != std::string_view::npos && !PercentDecode(piece.substr(eq + 1), true, &param.value)) {
      return false;
    }
  }
  return true;
}

}  // namespace herald::protocol
