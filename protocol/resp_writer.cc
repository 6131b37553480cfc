#include "protocol/resp_writer.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace herald::protocol {
namespace {

// Writes `*`/`>` header or `$<len>\r\n<bytes>\r\n` into `p`; returns the end.
char* PutLine(char* p, char type, int64_t n) {
  *p++ = type;
  p = std::to_chars(p, p + 20, n).ptr;  // an int64 takes at most 20 characters
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

char* PutBulk(char* p, std::string_view s) {
  p = PutLine(p, '$', static_cast<int64_t>(s.size()));
  std::memcpy(p, s.data(), s.size());
  p += s.size();
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

// Room for a type byte, a 20-digit length and CRLF around a bulk.
constexpr size_t kBulkOverhead = 1 + 20 + 2 + 2;

}  // namespace

void RespWriter::Header(char type, int64_t n) {
  char buf[24];
  char* p = PutLine(buf, type, n);
  out_->append(buf, p);
}

void RespWriter::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n");
}

void RespWriter::Error(std::string_view text) {
  out_->push_back('-');
  out_->append(text);
  out_->append("\r\n");
}

void RespWriter::Integer(int64_t value) { Header(':', value); }

void RespWriter::Bulk(std::string_view s) {
  Header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n");
}

void RespWriter::Null() { out_->append(protocol_ == 3 ? "_\r\n" : "$-1\r\n"); }

void RespWriter::NullArray() { out_->append(protocol_ == 3 ? "_\r\n" : "*-1\r\n"); }

void RespWriter::Double(double value) {
  // Redis prints doubles with %.17g and spells out infinities.
  std::string text;
  if (std::isinf(value)) {
    text = value > 0 ? "inf" : "-inf";
  } else {
    text = fmt::format("{:.17g}", value);
  }
  if (protocol_ == 3) {
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n");
  } else {
    Bulk(text);
  }
}

void RespWriter::Bool(bool value) {
  if (protocol_ == 3) {
    out_->append(value ? "#t\r\n" : "#f\r\n");
  } else {
    Integer(value ? 1 : 0);
  }
}

void RespWriter::Verbatim(std::string_view s, std::string_view format) {
  if (protocol_ == 3) {
    Header('=', static_cast<int64_t>(s.size() + 4));
    out_->append(format);
    out_->push_back(':');
    out_->append(s);
    out_->append("\r\n");
  } else {
    Bulk(s);
  }
}

void RespWriter::ArrayHeader(size_t n) { Header('*', static_cast<int64_t>(n)); }

void RespWriter::MapHeader(size_t n) {
  if (protocol_ == 3) {
    Header('%', static_cast<int64_t>(n));
  } else {
    Header('*', static_cast<int64_t>(2 * n));
  }
}

void RespWriter::SetHeader(size_t n) {
  Header(protocol_ == 3 ? '~' : '*', static_cast<int64_t>(n));
}

void RespWriter::PushHeader(size_t n) {
  Header(protocol_ == 3 ? '>' : '*', static_cast<int64_t>(n));
}

SharedBytes EncodePubSubMessage(int protocol, PubSubKind kind, std::string_view pattern,
                                std::string_view channel, std::string_view payload) {
  std::string_view name = kind == PubSubKind::kMessage    ? "message"
                          : kind == PubSubKind::kPMessage ? "pmessage"
                                                          : "smessage";
  bool with_pattern = kind == PubSubKind::kPMessage;
  size_t size = 4 + name.size() + channel.size() + payload.size() + 3 * kBulkOverhead;
  if (with_pattern) size += pattern.size() + kBulkOverhead;
  SharedBytes frame = SharedBytes::Allocate(size);
  char* start = frame.data();
  char* p = PutLine(start, protocol == 3 ? '>' : '*', with_pattern ? 4 : 3);
  p = PutBulk(p, name);
  if (with_pattern) p = PutBulk(p, pattern);
  p = PutBulk(p, channel);
  p = PutBulk(p, payload);
  frame.Grow(static_cast<size_t>(p - start));
  return frame;
}

}  // namespace herald::protocol
