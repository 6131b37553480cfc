#pragma once

// What COMMAND DOCS and COMMAND INFO report about each command beyond the command table's own
// name, arity, flags and ACL categories: summaries, arguments, history, command tips and key
// specs, as Redis 7.0.15 replies them. The data lives in command_doc_data.cc, keyed by the
// command's full lower-case name ("publish", "client|kill"), so that commands can be documented
// before (or without) a row in the table.

#include <cstdint>
#include <span>
#include <string_view>

#include "resp/commands.h"

namespace herald::resp {

// Argument types, replied as "string", "integer", "double", "key", "pattern", "unix-time",
// "pure-token", "oneof" and "block".
enum class DocArgType : uint8_t {
  kString,
  kInteger,
  kDouble,
  kKey,
  kPattern,
  kUnixTime,
  kPureToken,
  kOneOf,  // exactly one of `args`
  kBlock,  // all of `args`, in order
};
// The name COMMAND DOCS gives `type` ("pure-token"); a static string.
std::string_view DocArgTypeName(DocArgType type);

// One argument of COMMAND DOCS. Empty strings and key_spec_index -1 mean "absent": the field is
// then left out of the reply, as Redis does. `flags` holds ArgFlag bits (resp/commands.h).
struct DocArg {
  std::string_view name = {};
  DocArgType type = {};
  int key_spec_index = -1;
  std::string_view token = {};
  std::string_view summary = {};
  std::string_view since = {};
  std::string_view deprecated_since = {};
  uint8_t flags = 0;
  std::span<const DocArg> args = {};  // only for kOneOf and kBlock
};

// Command-level "doc_flags".
enum DocFlag : uint8_t { kDocDeprecated = 1, kDocSysCmd = 2 };

struct DocHistory {
  std::string_view version = {};
  std::string_view description = {};
};

// A key spec of COMMAND INFO. Only the begin_search/find_keys kinds our commands use are
// modelled: "index" and "range" (SPUBLISH, SSUBSCRIBE, SUNSUBSCRIBE name shard channels).
enum class BeginSearchType : uint8_t { kIndex };
enum class FindKeysType : uint8_t { kRange };
struct KeySpecDoc {
  std::string_view notes = {};                   // empty: absent
  std::span<const std::string_view> flags = {};  // e.g. {"not_key"}, in Redis's order
  struct {
    BeginSearchType type = {};
    int index = {};
  } begin_search = {};
  struct {
    FindKeysType type = {};
    int lastkey = {};
    int keystep = {};
    int limit = {};
  } find_keys = {};
};

// COMMAND INFO's first key, last key and step (the pre-7.0 key position triple).
struct LegacyKeyRange {
  int first = 0;
  int last = 0;
  int step = 0;
};

// Everything known about one command or subcommand. Empty strings and spans mean "absent".
struct CommandDocEntry {
  std::string_view name = {};  // full lower-case name, "client|kill" for subcommands
  // COMMAND DOCS fields, in reply order.
  std::string_view summary = {};
  std::string_view since = {};
  std::string_view group = {};
  std::string_view complexity = {};
  uint8_t doc_flags = 0;  // DocFlag bits
  std::string_view deprecated_since = {};
  std::string_view replaced_by = {};
  std::span<const DocHistory> history = {};
  std::span<const DocArg> args = {};
  // COMMAND INFO fields that the command table does not hold.
  std::span<const std::string_view> tips = {};
  std::span<const KeySpecDoc> key_specs = {};
  LegacyKeyRange legacy_range = {};
};

// The entry for `full_name` ("ping", "CLIENT|Kill"; case-insensitive), or nullptr if the command
// is not documented. Entries are static and live for the whole program.
const CommandDocEntry* FindCommandDoc(std::string_view full_name);

// COMMAND GETKEYS and COMMAND GETKEYSANDFLAGS (command_docs.cc). They are not in the command
// table yet; a row {"getkeys"/"getkeysandflags", -4, loading|stale, ..., "@slow @connection"}
// under "command" enables them.
void CommandGetKeysCommand(RespSession& client, CommandArgs args);
void CommandGetKeysAndFlagsCommand(RespSession& client, CommandArgs args);

}  // namespace herald::resp
