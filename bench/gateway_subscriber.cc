#include "bench/gateway_subscriber.h"

#include <uv.h>

#include <algorithm>

#include "fmt/format.h"

namespace herald::bench {
namespace {

// A response head larger than this is not from a gateway.
constexpr size_t kMaxHead = 64 * 1024;

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Printable text for an error message: the first line, at most 120 bytes.
std::string_view Excerpt(std::string_view s) {
  s = s.substr(0, std::min(s.find_first_of("\r\n"), size_t{120}));
  return Trim(s);
}

}  // namespace

GatewaySubscriber::GatewaySubscriber(LoopContext* ctx, SubscriberEvents* events, uint32_t index,
                                     const std::string* authority, const std::string* extra_headers)
    : TcpClient(ctx),
      events_(events),
      index_(index),
      authority_(authority),
      extra_headers_(extra_headers) {}

std::string GatewaySubscriber::PercentEncode(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || c == ':' || c == '@') {
      out += ch;
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

bool GatewaySubscriber::FindHeader(std::string_view headers, std::string_view name,
                                   std::string_view* value) {
  while (!headers.empty()) {
    const size_t eol = headers.find("\r\n");
    const std::string_view line = headers.substr(0, eol);
    headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (EqualsIgnoreCase(Trim(line.substr(0, colon)), name)) {
      *value = Trim(line.substr(colon + 1));
      return true;
    }
  }
  return false;
}

void GatewaySubscriber::OnConnected() { QueueRequest(); }

size_t GatewaySubscriber::OnData(const char* data, size_t len, uint64_t now_ns) {
  size_t off = 0;
  if (!head_done_) {
    const std::string_view view(data, len);
    const size_t end = view.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (len > kMaxHead) {
        Abort("the response head is larger than 64 KiB");
        return len;
      }
      return 0;
    }
    const size_t eol = view.find("\r\n");
    const std::string_view status_line = view.substr(0, eol);
    int status = 0;
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ' ||
        !std::all_of(status_line.begin() + 9, status_line.begin() + 12,
                     [](char c) { return c >= '0' && c <= '9'; })) {
      Abort(fmt::format("malformed response from the gateway: '{}'", Excerpt(status_line)));
      return len;
    }
    for (size_t i = 9; i < 12; ++i) status = status * 10 + (status_line[i] - '0');
    if (status != expected_status()) {
      Abort(fmt::format("the gateway answered '{}': {}", Excerpt(status_line),
                        Excerpt(view.substr(end + 4))));
      return len;
    }
    head_done_ = true;
    if (!OnResponseHead(view.substr(eol + 2, end - eol)) || closing()) return len;
    off = end + 4;
  }
  if (off == len) return len;
  return off + OnStream(data + off, len - off, now_ns);
}

void GatewaySubscriber::OnFailure(std::string_view what, int status) {
  events_->OnConnectionError(
      fmt::format("subscriber {}", index_),
      status == 0 ? std::string(what) : fmt::format("{}: {}", what, uv_strerror(status)));
}

void GatewaySubscriber::Abort(std::string_view what) {
  if (closing()) return;
  events_->OnConnectionError(fmt::format("subscriber {}", index_), what);
  Close();
}

}  // namespace herald::bench
