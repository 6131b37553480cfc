#include "gateway/assets.h"

#include <fmt/format.h>

#include <array>
#include <iterator>
#include <vector>

namespace herald::gateway {

namespace {

// Which embedded file each route serves, and as what.
struct Route {
  std::string_view path;
  std::string_view file;
  std::string_view content_type;
};
constexpr std::array<Route, 2> kRoutes = {{
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/herald.js", "herald.js", "text/javascript; charset=utf-8"},
}};

// Built once, on first use, from the generated table; a route whose file was not embedded is
// left out (a build that embeds fewer files still serves the others).
const std::vector<WebAsset>& Assets() {
  static const std::vector<WebAsset> assets = [] {
    std::vector<WebAsset> out;
    for (const Route& route : kRoutes) {
      for (size_t i = 0; i < internal::kEmbeddedFileCount; ++i) {
        const internal::EmbeddedFile& file = internal::kEmbeddedFiles[i];
        if (route.file != file.name) continue;
        out.push_back({.path = route.path,
                       .content_type = route.content_type,
                       .body = {reinterpret_cast<const char*>(file.data), file.size},
                       .etag = file.etag});
      }
    }
    return out;
  }();
  return assets;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// An entity tag without its weakness indicator ("W/").
std::string_view Opaque(std::string_view tag) {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}

}  // namespace

const WebAsset* FindWebAsset(std::string_view path) {
  for (const WebAsset& asset : Assets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  if (Trim(if_none_match) == "*") return true;
  // An entity tag may contain commas between its quotes (RFC 9110 8.8.3), so the list is split
  // only on commas outside quotes.
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i <= if_none_match.size(); ++i) {
    if (i < if_none_match.size()) {
      char c = if_none_match[i];
      if (c == '"') quoted = !quoted;
      if (c != ',' || quoted) continue;
    }
    std::string_view tag = Trim(if_none_match.substr(start, i - start));
    if (!tag.empty() && Opaque(tag) == Opaque(etag)) return true;
    start = i + 1;
  }
  return false;
}

std::string BuildAssetResponse(const WebAsset& asset, const std::string* if_none_match,
                               bool head_only, bool keep_alive, std::string_view extra_headers) {
  bool not_modified = if_none_match != nullptr && EtagMatches(*if_none_match, asset.etag);
  std::string out;
  out.reserve(256 + (not_modified || head_only ? 0 : asset.body.size()));
  if (not_modified) {
    out += "HTTP/1.1 304 Not Modified\r\n";
  } else {
    fmt::format_to(std::back_inserter(out),
                   "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
                   asset.content_type, asset.body.size());
  }
  fmt::format_to(std::back_inserter(out),
                 "ETag: {}\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n",
                 asset.etag);
  out.append(extra_headers);
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!not_modified && !head_only) out.append(asset.body);
  return out;
}

}  // namespace herald::gateway
