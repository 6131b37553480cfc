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
  SavedReplication out;
  bool have_magic = false;
  bool have_replid = false;
  bool have_offset = false;
  bool have_port = false;
  while (!text.empty()) {
    size_t end = text.find('\n');
    if (end == std::string_view::npos) {
      *why = "truncated";
      return false;
    }
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    if (!have_magic) {
      if (line != kMagic) {
        *why = "not a herald replication state file";
        return false;
      }
      have_magic = true;
    } else if (line.starts_with("replid ") && !have_replid) {
      std::string_view id = line.substr(7);
      if (id.size() != kReplIdLength || !std::all_of(id.begin(), id.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
          })) {
        *why = "bad replid";
        return false;
      }
      out.replid = std::string(id);
      have_replid = true;
    } else if (line.starts_with("offset ") && !have_offset) {
      if (!protocol::ParseInt64(line.substr(7), &out.offset) || out.offset < 0) {
        *why = "bad offset";
        return false;
      }
      have_offset = true;
    } else if (line.starts_with("port ") && !have_port) {
      if (!protocol::ParseInt64(line.substr(5), &out.port) || out.port < 0 || out.port > 65535) {
        *why = "bad port";
        return false;
      }
      have_port = true;
    } else {
      *why = "unexpected line";
      return false;
    }
  }
  if (!have_magic || !have_replid || !have_offset || !have_port) {
    *why = "incomplete";
    return false;
  }
  *saved = std::move(out);
  return true;
}

}  // namespace herald::repl
