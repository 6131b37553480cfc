#include "bench/report.h"

#include <cmath>
#include <iterator>

#include "fmt/format.h"

namespace herald::bench {
namespace {

void AppendEscaped(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace

JsonLine::JsonLine() : out_("{") {}

void JsonLine::Key(std::string_view key) {
  if (!first_) out_ += ',';
  first_ = false;
  AppendEscaped(out_, key);
  out_ += ':';
}

JsonLine& JsonLine::Str(std::string_view key, std::string_view value) {
  Key(key);
  AppendEscaped(out_, value);
  return *this;
}

JsonLine& JsonLine::Int(std::string_view key, int64_t value) {
  Key(key);
  fmt::format_to(std::back_inserter(out_), "{}", value);
  return *this;
}

JsonLine& JsonLine::Uint(std::string_view key, uint64_t value) {
  Key(key);
  fmt::format_to(std::back_inserter(out_), "{}", value);
  return *this;
}

JsonLine& JsonLine::Num(std::string_view key, double value, int decimals) {
  Key(key);
  // JSON has no NaN or infinity.
  if (!std::isfinite(value)) {
    out_ += "null";
  } else {
    fmt::format_to(std::back_inserter(out_), "{:.{}f}", value, decimals);
  }
  return *this;
}

JsonLine& JsonLine::Bool(std::string_view key, bool value) {
  Key(key);
  out_ += value ? "true" : "false";
  return *this;
}

JsonLine& JsonLine::Raw(std::string_view key, std::string_view json) {
  Key(key);
  out_ += json;
  return *this;
}

JsonLine& JsonLine::Begin(std::string_view key) {
  Key(key);
  out_ += '{';
  ++depth_;
  first_ = true;
  return *this;
}

JsonLine& JsonLine::End() {
  if (depth_ > 1) {
    out_ += '}';
    --depth_;
    first_ = false;
  }
  return *this;
}

std::string JsonLine::Take() {
  while (depth_ > 0) {
    out_ += '}';
    --depth_;
  }
  return std::move(out_);
}

}  // namespace herald::bench
