// The directive table behind ConfigStore and the parsers of directive values. Internal to the
// config*.cc files: config_table.cc holds the table, config_values.cc the parsers and renderers,
// config.cc the store that loads files and answers CONFIG GET/SET.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

namespace herald::config::config_table {

// The bounds of Redis's config types: INT_MIN, INT_MAX, UINT_MAX, LLONG_MAX, ULLONG_MAX.
inline constexpr int64_t kIntMin = std::numeric_limits<int32_t>::min();
inline constexpr uint64_t kIntMax = std::numeric_limits<int32_t>::max();
inline constexpr uint64_t kUintMax = std::numeric_limits<uint32_t>::max();
inline constexpr uint64_t kLlongMax = std::numeric_limits<int64_t>::max();
inline constexpr uint64_t kUllongMax = std::numeric_limits<uint64_t>::max();

// How a directive's arguments are parsed, validated and rendered back for CONFIG GET. The first
// six are Redis's generic config types; the rest are directives Redis special-cases.
enum class Type : uint8_t {
  kBool,             // yes | no, any case
  kInt,              // strict decimal integer (Redis string2ll) within [min, max]
  kMemory,           // byte count with an optional unit (Redis memtoull) within [min, max]
  kOctal,            // octal number within [min, max], rendered in octal
  kEnum,             // one word of `choices`, any case, rendered in lower case
  kString,           // any single argument, kept verbatim
  kBind,             // up to 16 addresses; a single "" means none
  kWords,            // any number of words (channel globs, origins); a single "" means none
  kAddresses,        // like kWords, each an IP address, a CIDR block or "*" (address_rule.h)
  kOutputLimits,     // client-output-buffer-limit <class> <hard> <soft> <seconds> ...
  kSave,             // save <seconds> <changes> ...; repeated lines add up while loading
  kReplicaOf,        // replicaof <host> <port> | no one
  kMemoryOrPercent,  // maxmemory-clients: a byte count or "N%"
  kEnumFlags,        // several words of `choices` (shutdown-on-sigint)
  kOomValues,        // oom-score-adj-values: three integers in [-2000, 2000]
  kPercentiles,      // latency-tracking-info-percentiles: numbers in [0, 100]
  kKeyspaceEvents,   // notify-keyspace-events: class letters
};

// Directive flags.
inline constexpr uint8_t kImmutable = 1 << 0;  // CONFIG SET refuses it
inline constexpr uint8_t kProtected =
    1 << 1;  // CONFIG SET refuses it (enable-protected-configs is inert)
inline constexpr uint8_t kHidden = 1
                                   << 2;  // CONFIG GET patterns skip it; its exact name still works
inline constexpr uint8_t kMultiArg = 1
                                     << 3;  // takes several arguments; CONFIG SET splits at spaces

// Whether herald acts on a directive, and if not, why: the reason goes into the startup notice.
enum class Use : uint8_t { kActive, kNoData, kNoReplication, kUnsupported };

// Where a directive herald acts on keeps its value. Directives without a field keep their
// rendered text in ConfigStore::Impl::values.
using Field = std::variant<std::monostate, bool Config::*, int Config::*, int64_t Config::*,
                           uint64_t Config::*, std::string Config::*, LogLevel Config::*,
                           std::vector<std::string> Config::*>;

// One row of the directive table. Making an accepted-and-ignored directive real, or adding a new
// one, is one row: give it a `field` (or a Type that knows its Config member) and Use::kActive.
struct Directive {
  std::string_view name;
  std::string_view alias = {};  // the other spelling Redis also answers to, "" if none
  Type type = Type::kString;
  uint8_t flags = 0;
  Use use = Use::kActive;
  int64_t min = 0;  // kInt, kMemory, kOctal bounds
  uint64_t max = 0;
  std::string_view choices = {};   // kEnum, kEnumFlags: the accepted words, space separated
  std::string_view fallback = {};  // the default of a directive without a field, as rendered
  Field field = {};
};

// Every directive Redis 7.0.15 accepts, in the order CONFIG GET lists them.
std::span<const Directive> Directives();

// Whether `name` (lower case) is one of the directives Redis 7.0 still accepts in a file, with
// exactly one value, and does nothing with.
bool IsDeprecated(std::string_view name);

// Text helpers (config_values.cc).
std::string ToLower(std::string_view s);
std::string_view Trim(std::string_view s, std::string_view chars);
// Redis's sdssplitargs(): splits a line into arguments, honouring "double" and 'single' quotes
// and escapes. nullopt for unbalanced quotes.
std::optional<std::vector<std::string>> SplitArgs(std::string_view line);
// Appends `s` quoted so that SplitArgs reads it back as one argument.
void AppendQuoted(std::string* out, std::string_view s);
// CONFIG SET's split of a multi-argument value at spaces.
std::vector<std::string> SplitAtSpaces(std::string_view value);

// Parses `args` for `directive` and stores the value: in `config` if the directive has a field,
// otherwise, rendered, in `slot`. Returns "" or Redis's reason for refusing the value; on refusal
// nothing was changed. `first_save_in_load`: repeated `save` lines add up while loading.
std::string Assign(const Directive& directive, std::span<const std::string> args, Config* config,
                   std::string* slot, bool* first_save_in_load);
// The CONFIG GET text of a directive.
std::string Render(const Directive& directive, const Config& config, const std::string& slot);

}  // namespace herald::config::config_table
