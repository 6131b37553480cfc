#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::repl {

// What a node keeps across restarts so that it can continue with PSYNC: the ID of the history its
// stream belongs to and the offset of the last byte it had (Redis keeps the same two in its RDB's
// repl-id and repl-offset aux fields). The file is text:
//
//   herald-repl-state 1
//   replid 0123...(40 hex)
//   offset 12345
//   port 6379
//
// The port names the node that wrote it: nodes started in one directory share the default file
// name, and a node must not continue another one's history.
// Pure: reading and writing the file is the caller's.
struct SavedReplication {
  std::string replid;  // 40 hex characters
  int64_t offset = 0;  // >= 0
  int64_t port = 0;    // the writer's RESP port (0-65535)
};

// The file's text for `saved`.
std::string FormatSavedReplication(const SavedReplication& saved);

// Parses the file's text. False, with *why ("bad replid", ...), for anything but a complete and
// valid file written by FormatSavedReplication, its lines in that order (unknown lines are
// refused too: a file from a newer herald is not guessed at).
bool ParseSavedReplication(std::string_view text, SavedReplication* saved, std::string* why);

}  // namespace herald::repl
