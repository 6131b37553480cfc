#include "replication/state_file.h"

#include <fmt/format.h>

#include <algorithm>

#include "protocol/numbers.h"
#include "replication/replication_state.h"

namespace herald::repl {

namespace {
constexpr std::string_view kMagic = "herald-repl-state 1";
}  // namespace

std::string FormatSavedReplication(const SavedReplication& saved) {
  return fmt::format("{}\nreplid {}\noffset {}\nport {}\n", kMagic, saved.replid, saved.offset,
                     saved.port);
}

bool ParseSavedReplication(std::string_view text, SavedReplication* saved, std::string* why) {
  // The lines come in the order FormatSavedReplication writes them, each once: a file is either
  // exactly what a herald wrote or refused.
  auto next_line = [&text, why](std::string_view* line) {
    if (text.empty()) {
      *why = "incomplete";
      return false;
    }
    size_t end = text.find('\n');
    if (end == std::string_view::npos) {
      *why = "truncated";
      return false;
    }
    *line = text.substr(0, end);
    text.remove_prefix(end + 1);
    return true;
  };
  auto field = [&next_line, why](std::string_view name, std::string_view* value) {
    std::string_view line;
    if (!next_line(&line)) return false;
    if (!line.starts_with(name) || line.size() <= name.size() || line[name.size()] != ' ') {
      *why = "unexpected line";
      return false;
    }
    *value = line.substr(name.size() + 1);
    return true;
  };

  SavedReplication out;
  std::string_view line;
  if (!next_line(&line)) return false;
  if (line != kMagic) {
    *why = "not a herald replication state file";
    return false;
  }
  std::string_view value;
  if (!field("replid", &value)) return false;
  if (value.size() != kReplIdLength || !std::all_of(value.begin(), value.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    *why = "bad replid";
    return false;
  }
  out.replid = std::string(value);
  if (!field("offset", &value)) return false;
  if (!protocol::ParseInt64(value, &out.offset) || out.offset < 0) {
    *why = "bad offset";
    return false;
  }
  if (!field("port", &value)) return false;
  if (!protocol::ParseInt64(value, &out.port) || out.port < 0 || out.port > 65535) {
    *why = "bad port";
    return false;
  }
  if (!text.empty()) {
    *why = "unexpected line";
    return false;
  }
  *saved = std::move(out);
  return true;
}

}  // namespace herald::repl
