#pragma once

// ConfigStore's insides, shared by config.cc (loading, CONFIG GET/SET, the command line) and
// rewrite.cc (CONFIG REWRITE). Not for use outside config/.

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "config/table.h"

namespace herald::config {

// One source inside a text handed to ParseText: where it starts and what to call it in the
// "<file>:<line>" line of an error.
struct Segment {
  size_t offset;
  std::string name;
  // Files and standard input number their own lines. The command line continues the count of
  // what precedes it, the way Redis reports it.
  bool own_numbering;
};

// Appends everything `file` holds to `out`. Returns false with Redis's message, naming `name`.
bool ReadAll(std::FILE* file, const std::string& name, std::string* out, std::string* error);

struct ConfigStore::Impl {
  // A directive as named: its row, and whether the name was its alias.
  struct Entry {
    size_t row;
    bool alias;
    bool operator==(const Entry&) const = default;
  };

  // The rendered value of every row without a Config field (unused for the others).
  std::vector<std::string> values;
  // Every canonical and alias name, in lower case, pointing into Directives().
  std::unordered_map<std::string_view, Entry> by_name;

  // State of the Load in progress.
  bool first_save = true;
  std::vector<bool> noticed;
  std::vector<std::string>* notices = nullptr;

  Impl();

  std::optional<Entry> Find(std::string_view name) const {
    auto it = by_name.find(config_table::ToLower(name));
    if (it == by_name.end()) return std::nullopt;
    return it->second;
  }
  static std::string_view NameOf(Entry entry) {
    const config_table::Directive& directive = config_table::Directives()[entry.row];
    return entry.alias ? directive.alias : directive.name;
  }

  bool ParseText(std::string_view text, const std::vector<Segment>& segments, int depth,
                 Config* config, std::string* error);
  bool Include(const std::string& pattern, int depth, Config* config, std::string* error);
  void Notice(size_t row, std::string_view name);
};

}  // namespace herald::config
