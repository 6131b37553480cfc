#include "bench/resp_reader.h"

#include <cstring>

namespace herald::bench {
namespace {

constexpr int kMaxDepth = 8;
constexpr int64_t kMaxBulk = int64_t{1} << 32;
constexpr int64_t kMaxElements = int64_t{1} << 28;

struct Cursor {
  const char* p;
  const char* end;
};

// Reads "<integer>\r\n".
ReadStatus ReadLineInt(Cursor& c, int64_t* out) {
  bool negative = false;
  if (c.p < c.end && *c.p == '-') {
    negative = true;
    ++c.p;
  }
  int64_t v = 0;
  int digits = 0;
  for (;;) {
    if (c.p == c.end) return ReadStatus::kNeedMore;
    const char ch = *c.p;
    if (ch < '0' || ch > '9') break;
    if (++digits > 18) return ReadStatus::kProtocolError;
    v = v * 10 + (ch - '0');
    ++c.p;
  }
  if (digits == 0 || *c.p != '\r') return ReadStatus::kProtocolError;
  if (c.end - c.p < 2) return ReadStatus::kNeedMore;
  if (c.p[1] != '\n') return ReadStatus::kProtocolError;
  c.p += 2;
  *out = negative ? -v : v;
  return ReadStatus::kOk;
}

// Reads "<text>\r\n"; the text may not contain CR.
ReadStatus ReadLine(Cursor& c, std::string_view* out) {
  const void* cr = std::memchr(c.p, '\r', static_cast<size_t>(c.end - c.p));
  if (cr == nullptr) return ReadStatus::kNeedMore;
  const char* q = static_cast<const char*>(cr);
  if (c.end - q < 2) return ReadStatus::kNeedMore;
  if (q[1] != '\n') return ReadStatus::kProtocolError;
  *out = std::string_view(c.p, static_cast<size_t>(q - c.p));
  c.p = q + 2;
  return ReadStatus::kOk;
}

// Reads one value; when `frame` is set (top level only), records the first children in it.
ReadStatus ReadValue(Cursor& c, int depth, RespValue* out, RespFrame* frame) {
  if (c.p == c.end) return ReadStatus::kNeedMore;
  const char type = *c.p++;
  ReadStatus st;
  switch (type) {
    case '+':
      out->type = RespType::kSimple;
      return ReadLine(c, &out->str);
    case '-':
      out->type = RespType::kError;
      return ReadLine(c, &out->str);
    case ',':
      out->type = RespType::kDouble;
      return ReadLine(c, &out->str);
    case '(':
      out->type = RespType::kBigNumber;
      return ReadLine(c, &out->str);
    case ':':
      out->type = RespType::kInteger;
      return ReadLineInt(c, &out->integer);
    case '#':
      out->type = RespType::kBoolean;
      if ((st = ReadLine(c, &out->str)) != ReadStatus::kOk) return st;
      if (out->str != "t" && out->str != "f") return ReadStatus::kProtocolError;
      out->integer = out->str == "t" ? 1 : 0;
      return ReadStatus::kOk;
    case '_':
      out->type = RespType::kNull;
      if (c.end - c.p < 2) return ReadStatus::kNeedMore;
      if (c.p[0] != '\r' || c.p[1] != '\n') return ReadStatus::kProtocolError;
      c.p += 2;
      return ReadStatus::kOk;
    case '$':
    case '=':
    case '!': {
      int64_t len;
      if ((st = ReadLineInt(c, &len)) != ReadStatus::kOk) return st;
      if (len == -1 && type == '$') {
        out->type = RespType::kNull;
        return ReadStatus::kOk;
      }
      if (len < 0 || len > kMaxBulk) return ReadStatus::kProtocolError;
      if (c.end - c.p < len + 2) return ReadStatus::kNeedMore;
      if (c.p[len] != '\r' || c.p[len + 1] != '\n') return ReadStatus::kProtocolError;
      out->type = type == '!' ? RespType::kBulkError : RespType::kBulk;
      out->str = std::string_view(c.p, static_cast<size_t>(len));
      c.p += len + 2;
      return ReadStatus::kOk;
    }
    case '*':
    case '>':
    case '~':
    case '%': {
      int64_t n;
      if ((st = ReadLineInt(c, &n)) != ReadStatus::kOk) return st;
      if (n == -1 && type == '*') {
        out->type = RespType::kNull;
        return ReadStatus::kOk;
      }
      if (n < 0 || n > kMaxElements || depth >= kMaxDepth) return ReadStatus::kProtocolError;
      out->type = type == '*'   ? RespType::kArray
                  : type == '>' ? RespType::kPush
                  : type == '~' ? RespType::kSet
                                : RespType::kMap;
      if (type == '%') n *= 2;
      out->integer = n;
      for (int64_t i = 0; i < n; ++i) {
        RespValue child;
        if ((st = ReadValue(c, depth + 1, &child, nullptr)) != ReadStatus::kOk) return st;
        if (frame != nullptr && i < static_cast<int64_t>(RespFrame::kMaxCaptured)) {
          frame->child[i] = child;
          frame->captured = static_cast<size_t>(i) + 1;
        }
      }
      return ReadStatus::kOk;
    }
    default:
      // Attributes ('|') never accompany pub/sub traffic; anything else is not RESP.
      return ReadStatus::kProtocolError;
  }
}

}  // namespace

ReadStatus ReadFrame(const char* data, size_t len, RespFrame* frame, size_t* consumed) {
  Cursor c{data, data + len};
  frame->captured = 0;
  const ReadStatus st = ReadValue(c, 0, &frame->top, frame);
  *consumed = st == ReadStatus::kOk ? static_cast<size_t>(c.p - data) : 0;
  return st;
}

}  // namespace herald::bench
