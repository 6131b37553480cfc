#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "config/address_rule.h"
#include "config/table.h"
#include "protocol/numbers.h"
#include "protocol/quoting.h"

namespace herald::config::config_table {
namespace {

using protocol::EqualsIgnoreCase;
using protocol::HexValue;

// Redis's CONFIG_BINDADDR_MAX.
constexpr size_t kMaxBindAddresses = 16;

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Text helpers.

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLowerAscii(c);
  return out;
}

std::string_view Trim(std::string_view s, std::string_view chars) {
  size_t begin = s.find_first_not_of(chars);
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(chars);
  return s.substr(begin, end - begin + 1);
}

// Splits a config line into arguments with Redis's sdssplitargs() rules: blanks separate
// arguments; "double quotes" understand \n \r \t \b \a \xHH and \<any>; 'single quotes' only \';
// a quote may open in the middle of an argument but a closing quote must be followed by a blank
// or the end. The line is read as a C string, so a NUL byte ends it. Returns nullopt for
// unbalanced quotes.
std::optional<std::vector<std::string>> SplitArgs(std::string_view line) {
  std::vector<std::string> args;
  size_t i = 0;
  auto at = [&line](size_t k) { return k < line.size() ? line[k] : '\0'; };
  for (;;) {
    while (at(i) != '\0' && IsSpace(at(i))) ++i;
    if (at(i) == '\0') return args;
    std::string current;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      char c = at(i);
      if (in_double) {
        if (c == '\\' && at(i + 1) == 'x' && HexValue(at(i + 2)) >= 0 && HexValue(at(i + 3)) >= 0) {
          current += static_cast<char>(HexValue(at(i + 2)) * 16 + HexValue(at(i + 3)));
          i += 3;
        } else if (c == '\\' && at(i + 1) != '\0') {
          ++i;
          switch (at(i)) {
            case 'n':
              current += '\n';
              break;
            case 'r':
              current += '\r';
              break;
            case 't':
              current += '\t';
              break;
            case 'b':
              current += '\b';
              break;
            case 'a':
              current += '\a';
              break;
            default:
              current += at(i);
              break;
          }
        } else if (c == '"') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;
        } else {
          current += c;
        }
      } else if (in_single) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          current += '\'';
        } else if (c == '\'') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;
        } else {
          current += c;
        }
      } else {
        // Only these four end an unquoted argument; \v and \f are ordinary bytes here although
        // the skip above treats them as blanks. That is Redis's behaviour too.
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            current += c;
            break;
        }
      }
      if (at(i) != '\0') ++i;
    }
    args.push_back(std::move(current));
  }
}

void AppendQuoted(std::string* out, std::string_view s) { protocol::AppendRedisQuoted(out, s); }

// CONFIG SET splits a multi-argument value at every single space (Redis sdssplitlen()), so two
// spaces make an empty argument and "" makes no argument at all.
std::vector<std::string> SplitAtSpaces(std::string_view value) {
  std::vector<std::string> parts;
  if (value.empty()) return parts;
  size_t start = 0;
  for (;;) {
    size_t space = value.find(' ', start);
    if (space == std::string_view::npos) {
      parts.emplace_back(value.substr(start));
      return parts;
    }
    parts.emplace_back(value.substr(start, space - start));
    start = space + 1;
  }
}

namespace {

// The `index`th word of a space-separated list.
std::string_view Word(std::string_view words, size_t index) {
  size_t start = 0;
  for (size_t i = 0; i < index; ++i) start = words.find(' ', start) + 1;
  size_t end = words.find(' ', start);
  return words.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

// The index of `word` (any case) in a space-separated list, or -1.
int FindWord(std::string_view words, std::string_view word) {
  int index = 0;
  size_t start = 0;
  for (;;) {
    size_t end = words.find(' ', start);
    std::string_view candidate =
        words.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (EqualsIgnoreCase(candidate, word)) return index;
    if (end == std::string_view::npos) return -1;
    start = end + 1;
    ++index;
  }
}

std::string EnumError(std::string_view choices) {
  std::string list(choices);
  std::string out = "argument(s) must be one of the following: ";
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i] == ' ') {
      out += ", ";
    } else {
      out += list[i];
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += ' ';
    out += part;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Number parsers, each with the exact leniency of the Redis function it stands in for.

// Redis string2ll(): an optional '-', then digits without a leading zero ("0" alone is fine);
// no '+', no blanks, no overflow.
bool ParseStrictInt(std::string_view s, int64_t* out) {
  if (s == "0") {
    *out = 0;
    return true;
  }
  bool negative = !s.empty() && s[0] == '-';
  size_t i = negative ? 1 : 0;
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;
  uint64_t value = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (value > (kUllongMax - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if (negative) {
    if (value > kLlongMax + 1) return false;
    *out = static_cast<int64_t>(0 - value);  // modular, so INT64_MIN comes out right
  } else {
    if (value > kLlongMax) return false;
    *out = static_cast<int64_t>(value);
  }
  return true;
}

// Redis 7.0.15 memtoull(): digits, then an optional unit among b k kb m mb g gb (any case), where
// k/m/g are powers of 1000 and kb/mb/gb powers of 1024. Its quirks are kept because they decide
// what loads: no digits means 0 ("" and "kb" are 0), too many digits saturate at 2^64-1, and the
// unit multiplication wraps around silently.
bool ParseMemory(std::string_view s, uint64_t* out) {
  if (!s.empty() && s[0] == '-') return false;
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  std::string_view unit = s.substr(digits);
  uint64_t multiplier;
  if (unit.empty() || EqualsIgnoreCase(unit, "b")) {
    multiplier = 1;
  } else if (EqualsIgnoreCase(unit, "k")) {
    multiplier = 1000;
  } else if (EqualsIgnoreCase(unit, "kb")) {
    multiplier = 1024;
  } else if (EqualsIgnoreCase(unit, "m")) {
    multiplier = 1000ull * 1000;
  } else if (EqualsIgnoreCase(unit, "mb")) {
    multiplier = 1024ull * 1024;
  } else if (EqualsIgnoreCase(unit, "g")) {
    multiplier = 1000ull * 1000 * 1000;
  } else if (EqualsIgnoreCase(unit, "gb")) {
    multiplier = 1024ull * 1024 * 1024;
  } else {
    return false;
  }
  if (digits >= 128) return false;  // Redis copies the digits into a 128-byte buffer
  uint64_t value = 0;
  for (size_t i = 0; i < digits; ++i) {
    uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (value > (kUllongMax - digit) / 10) {
      value = kUllongMax;
      break;
    }
    value = value * 10 + digit;
  }
  *out = value * multiplier;
  return true;
}

// C strtoll() over the whole of `s` (leading blanks and a sign allowed, "" reads as 0), as Redis
// uses it for octal permissions and a few special directives. `out_of_range` reports ERANGE,
// which only some callers treat as an error.
bool ParseWithStrtoll(std::string_view s, int base, int64_t* out, bool* out_of_range) {
  std::string copy(s);
  char* end = nullptr;
  errno = 0;
  long long value = std::strtoll(copy.c_str(), &end, base);
  *out_of_range = errno == ERANGE;
  if (*end != '\0') return false;
  *out = value;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Assigning and rendering values.

template <typename T>
T Config::*FieldOf(const Directive& directive) {
  const auto* field = std::get_if<T Config::*>(&directive.field);
  return field != nullptr ? *field : nullptr;
}

std::string RangeError(int64_t min, uint64_t max) {
  return fmt::format("argument must be between {} and {} inclusive", min, max);
}

std::string RenderOutputLimits(const Config& config) {
  static constexpr std::string_view kNames[kClientClassCount] = {"normal", "slave", "pubsub"};
  std::string out;
  for (int i = 0; i < kClientClassCount; ++i) {
    const OutputLimit& limit = config.output_limits[i];
    if (!out.empty()) out += ' ';
    out += fmt::format("{} {} {} {}", kNames[i], limit.hard_bytes, limit.soft_bytes,
                       limit.soft_seconds);
  }
  return out;
}

// client-output-buffer-limit: checks every group before changing anything, like Redis.
std::string AssignOutputLimits(std::span<const std::string> args, Config* config) {
  if (args.size() % 4 != 0) return "Wrong number of arguments in buffer limit configuration.";
  OutputLimit limits[kClientClassCount];
  std::copy(std::begin(config->output_limits), std::end(config->output_limits), limits);
  for (size_t i = 0; i < args.size(); i += 4) {
    int client_class;
    if (EqualsIgnoreCase(args[i], "normal")) {
      client_class = static_cast<int>(ClientClass::kNormal);
    } else if (EqualsIgnoreCase(args[i], "slave") || EqualsIgnoreCase(args[i], "replica")) {
      client_class = static_cast<int>(ClientClass::kReplica);
    } else if (EqualsIgnoreCase(args[i], "pubsub")) {
      client_class = static_cast<int>(ClientClass::kPubSub);
    } else {
      return "Invalid client class specified in buffer limit configuration.";
    }
    OutputLimit limit;
    int64_t seconds = 0;
    bool out_of_range = false;
    if (!ParseMemory(args[i + 1], &limit.hard_bytes) ||
        !ParseMemory(args[i + 2], &limit.soft_bytes) ||
        !ParseWithStrtoll(args[i + 3], 10, &seconds, &out_of_range) || out_of_range ||
        seconds < 0) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    limit.soft_seconds = seconds;
    limits[client_class] = limit;
  }
  std::copy(std::begin(limits), std::end(limits), config->output_limits);
  return {};
}

// save: `first_in_load` is null outside Load. Inside, it says whether this is the load's first
// save line: that one replaces Redis's default schedule, later ones add to it.
std::string AssignSave(std::span<const std::string> args, std::string* slot, bool* first_in_load) {
  bool reset = args.size() == 1 && args[0].empty();
  if (reset) args = {};
  if (args.size() % 2 != 0) return "Invalid save parameters";
  std::vector<std::string> pairs;
  for (size_t i = 0; i < args.size(); ++i) {
    int64_t value = 0;
    bool out_of_range = false;  // Redis ignores overflow here: strtoll saturates
    if (!ParseWithStrtoll(args[i], 10, &value, &out_of_range) || value < (i % 2 == 0 ? 1 : 0)) {
      return "Invalid save parameters";
    }
    pairs.push_back(std::to_string(value));
  }
  if (reset || first_in_load == nullptr || *first_in_load) slot->clear();
  if (first_in_load != nullptr) *first_in_load = false;
  std::string joined = Join(pairs);
  if (!joined.empty()) {
    if (!slot->empty()) *slot += ' ';
    *slot += joined;
  }
  return {};
}

std::string AssignReplicaOf(std::span<const std::string> args, Config* config) {
  if (args.size() != 2) return "wrong number of arguments";
  if (EqualsIgnoreCase(args[0], "no") && EqualsIgnoreCase(args[1], "one")) {
    config->master_host.clear();
    config->master_port = 0;
    return {};
  }
  int64_t port = 0;
  bool out_of_range = false;
  if (!ParseWithStrtoll(args[1], 10, &port, &out_of_range) || port < 0 || port > 65535) {
    return "Invalid master port";
  }
  config->master_host = args[0];
  config->master_port = static_cast<int>(port);
  return {};
}

// maxmemory-clients. Redis keeps a percentage as a negative number, so a byte count above 2^63
// turns into a percentage; the rendering below reproduces what that looks like.
std::string AssignMemoryOrPercent(std::string_view arg, std::string* slot) {
  int64_t value;
  uint64_t bytes = 0;
  int64_t percent = 0;
  if (ParseMemory(arg, &bytes)) {
    value = static_cast<int64_t>(bytes);
  } else if (arg.size() > 1 && arg.back() == '%' &&
             ParseStrictInt(arg.substr(0, arg.size() - 1), &percent) && percent >= 0) {
    value = -percent;
  } else {
    return "argument must be a memory or percent value";
  }
  if (value < 0) {
    uint64_t magnitude = 0 - static_cast<uint64_t>(value);
    if (magnitude > 100) return "percentage argument must be less or equal to 100";
    *slot = fmt::format("{}%", magnitude);
  } else {
    *slot = std::to_string(value);
  }
  return {};
}

// shutdown-on-sigint / shutdown-on-sigterm: "default" or a set of save/nosave/now/force, rendered
// in that order.
std::string AssignEnumFlags(const Directive& directive, std::span<const std::string> args,
                            std::string* slot) {
  if (args.empty()) return EnumError(directive.choices);
  unsigned flags = 0;
  for (const std::string& arg : args) {
    int index = FindWord(directive.choices, arg);
    if (index < 0) return EnumError(directive.choices);
    if (index > 0) flags |= 1u << index;  // word 0 is "default", no bit
  }
  if ((flags & 0b110) == 0b110)
    return "shutdown options SAVE and NOSAVE can't be used simultaneously";
  std::vector<std::string> words;
  for (int index = 1; index < 5; ++index) {
    if (flags & (1u << index)) words.emplace_back(Word(directive.choices, index));
  }
  *slot = words.empty() ? std::string(Word(directive.choices, 0)) : Join(words);
  return {};
}

std::string AssignOomValues(std::span<const std::string> args, std::string* slot) {
  if (args.size() != 3) return "wrong number of arguments";
  std::vector<std::string> values;
  for (const std::string& arg : args) {
    int64_t value = 0;
    bool out_of_range = false;
    if (!ParseWithStrtoll(arg, 10, &value, &out_of_range) || value < -2000 || value > 2000) {
      return "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
    }
    values.push_back(std::to_string(value));
  }
  *slot = Join(values);
  return {};
}

std::string AssignPercentiles(std::span<const std::string> args, std::string* slot) {
  if (args.size() == 1 && args[0].empty()) args = {};
  std::vector<std::string> values;
  for (const std::string& arg : args) {
    char* end = nullptr;
    double value = arg.empty() || IsSpace(arg[0]) ? NAN : std::strtod(arg.c_str(), &end);
    if (std::isnan(value) || *end != '\0') {
      return "Invalid latency-tracking-info-percentiles parameters";
    }
    if (value < 0.0 || value > 100.0) {
      return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
    }
    values.push_back(fmt::format("{:g}", value));
  }
  *slot = Join(values);
  return {};
}

// notify-keyspace-events, rendered the way Redis renders its flag set: "A" when every class it
// covers is on (and then 'n', outside "A", is not shown), then K, E and m.
std::string AssignKeyspaceEvents(std::string_view arg, std::string* slot) {
  constexpr std::string_view kClasses = "g$lshzxetdn";  // the order Redis renders them in
  constexpr std::string_view kAll = "g$lshzxetd";       // what 'A' stands for
  std::string seen;
  for (char c : arg) {
    if (c == 'A') {
      seen += kAll;
    } else if (kClasses.find(c) != std::string_view::npos || c == 'K' || c == 'E' || c == 'm') {
      seen += c;
    } else {
      return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
    }
  }
  auto has = [&seen](char c) { return seen.find(c) != std::string::npos; };
  std::string out;
  bool all = true;
  for (char c : kAll) all = all && has(c);
  if (all) {
    out = "A";
  } else {
    for (char c : kClasses) {
      if (has(c)) out += c;
    }
  }
  for (char c : std::string_view("KEm")) {
    if (has(c)) out += c;
  }
  *slot = out;
  return {};
}

}  // namespace

// See config_table.h. `first_save_in_load`: see AssignSave.
std::string Assign(const Directive& directive, std::span<const std::string> args, Config* config,
                   std::string* slot, bool* first_save_in_load) {
  if (!(directive.flags & kMultiArg) && args.size() != 1) return "wrong number of arguments";
  switch (directive.type) {
    case Type::kBool: {
      bool value;
      if (EqualsIgnoreCase(args[0], "yes")) {
        value = true;
      } else if (EqualsIgnoreCase(args[0], "no")) {
        value = false;
      } else {
        return "argument must be 'yes' or 'no'";
      }
      if (auto field = FieldOf<bool>(directive)) {
        config->*field = value;
      } else {
        *slot = value ? "yes" : "no";
      }
      return {};
    }
    case Type::kInt: {
      int64_t value = 0;
      if (!ParseStrictInt(args[0], &value)) return "argument couldn't be parsed into an integer";
      if (value < directive.min || (value > 0 && static_cast<uint64_t>(value) > directive.max)) {
        return RangeError(directive.min, directive.max);
      }
      // Redis keeps hz within 1..500 whatever the file or CONFIG SET says (CONFIG_MIN_HZ,
      // CONFIG_MAX_HZ), and CONFIG GET shows the clamped value.
      if (directive.name == "hz") value = std::clamp<int64_t>(value, 1, 500);
      if (auto field = FieldOf<int>(directive)) {
        config->*field = static_cast<int>(value);
      } else if (auto wide = FieldOf<int64_t>(directive)) {
        config->*wide = value;
      } else {
        *slot = std::to_string(value);
      }
      return {};
    }
    case Type::kMemory: {
      uint64_t value = 0;
      if (!ParseMemory(args[0], &value)) return "argument must be a memory value";
      if (value < static_cast<uint64_t>(directive.min) || value > directive.max) {
        return RangeError(directive.min, directive.max);
      }
      if (auto field = FieldOf<uint64_t>(directive)) {
        config->*field = value;
      } else {
        *slot = std::to_string(value);
      }
      return {};
    }
    case Type::kOctal: {
      int64_t value = 0;
      bool out_of_range = false;
      if (!ParseWithStrtoll(args[0], 8, &value, &out_of_range) || out_of_range) {
        return "argument couldn't be parsed as an octal number";
      }
      if (value < directive.min || static_cast<uint64_t>(value) > directive.max) {
        return fmt::format("argument must be between {:o} and {:o} inclusive", directive.min,
                           directive.max);
      }
      if (auto field = FieldOf<int>(directive)) {
        config->*field = static_cast<int>(value);
      } else {
        *slot = fmt::format("{:o}", value);
      }
      return {};
    }
    case Type::kEnum: {
      int index = FindWord(directive.choices, args[0]);
      if (index < 0) return EnumError(directive.choices);
      if (auto field = FieldOf<LogLevel>(directive)) {
        config->*field = static_cast<LogLevel>(index);
      } else if (auto text = FieldOf<std::string>(directive)) {
        config->*text = std::string(Word(directive.choices, index));
      } else {
        *slot = std::string(Word(directive.choices, index));
      }
      return {};
    }
    case Type::kString:
      if (auto field = FieldOf<std::string>(directive)) {
        config->*field = args[0];
      } else {
        *slot = args[0];
      }
      return {};
    case Type::kBind:
    case Type::kWords:
    case Type::kAddresses: {
      if (directive.type == Type::kBind && args.size() > kMaxBindAddresses) {
        return "Too many bind addresses specified.";
      }
      std::vector<std::string> addresses(args.begin(), args.end());
      if (addresses.size() == 1 && addresses[0].empty()) addresses.clear();
      if (directive.type == Type::kAddresses) {
        for (const std::string& rule : addresses) {
          if (!IsAddressRule(rule)) {
            return fmt::format("Invalid address '{}': expected an IP address, a CIDR block or *",
                               rule);
          }
        }
      }
      if (auto field = FieldOf<std::vector<std::string>>(directive)) {
        config->*field = std::move(addresses);
      } else {
        *slot = Join(addresses);
      }
      return {};
    }
    case Type::kOutputLimits:
      return AssignOutputLimits(args, config);
    case Type::kSave:
      return AssignSave(args, slot, first_save_in_load);
    case Type::kReplicaOf:
      return AssignReplicaOf(args, config);
    case Type::kMemoryOrPercent:
      return AssignMemoryOrPercent(args[0], slot);
    case Type::kEnumFlags:
      return AssignEnumFlags(directive, args, slot);
    case Type::kOomValues:
      return AssignOomValues(args, slot);
    case Type::kPercentiles:
      return AssignPercentiles(args, slot);
    case Type::kKeyspaceEvents:
      return AssignKeyspaceEvents(args[0], slot);
  }
  return "unknown directive type";
}

// The CONFIG GET text of a directive.
std::string Render(const Directive& directive, const Config& config, const std::string& slot) {
  switch (directive.type) {
    case Type::kBool:
      if (auto field = FieldOf<bool>(directive)) return config.*field ? "yes" : "no";
      break;
    case Type::kInt:
      if (auto field = FieldOf<int>(directive)) return std::to_string(config.*field);
      if (auto wide = FieldOf<int64_t>(directive)) return std::to_string(config.*wide);
      break;
    case Type::kMemory:
      if (auto field = FieldOf<uint64_t>(directive)) return std::to_string(config.*field);
      break;
    case Type::kOctal:
      if (auto field = FieldOf<int>(directive)) return fmt::format("{:o}", config.*field);
      break;
    case Type::kEnum:
      if (auto field = FieldOf<LogLevel>(directive)) {
        return std::string(Word(directive.choices, static_cast<size_t>(config.*field)));
      }
      if (auto text = FieldOf<std::string>(directive)) return config.*text;
      break;
    case Type::kString:
      if (auto field = FieldOf<std::string>(directive)) return config.*field;
      break;
    case Type::kBind:
    case Type::kWords:
    case Type::kAddresses:
      if (auto field = FieldOf<std::vector<std::string>>(directive)) return Join(config.*field);
      break;
    case Type::kOutputLimits:
      return RenderOutputLimits(config);
    case Type::kReplicaOf:
      if (config.master_host.empty()) return "";
      return fmt::format("{} {}", config.master_host, config.master_port);
    default:
      break;
  }
  return slot;
}

}  // namespace herald::config::config_table
