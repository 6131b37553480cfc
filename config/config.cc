#include "config/config.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <system_error>
#include <unordered_map>

#include "config/store_impl.h"
#include "config/table.h"
#include "protocol/glob.h"
#include "protocol/numbers.h"

namespace herald::config {

using namespace config_table;

namespace {

// The version named in the fatal error block, so that tooling which greps Redis's message still
// recognises it.
constexpr std::string_view kRedisVersion = "7.0.15";

// Redis has no limit and overflows its stack on an include cycle; herald stops here instead.
constexpr int kMaxIncludeDepth = 16;

// Appends the content of the file at `path` to `out`. Returns false with Redis's message.
bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    *error =
        fmt::format("Fatal error, can't open config file '{}': {}", path, std::strerror(errno));
    return false;
  }
  bool ok = ReadAll(file, path, out, error);
  std::fclose(file);
  return ok;
}

}  // namespace

bool ReadAll(std::FILE* file, const std::string& name, std::string* out, std::string* error) {
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) out->append(buffer, n);
  if (std::ferror(file) == 0) return true;
  // Redis would load a directory as an empty file; saying so is more useful.
  *error = fmt::format("Fatal error, can't read config file '{}': {}", name, std::strerror(errno));
  return false;
}

// ---------------------------------------------------------------------------------------------

ConfigStore::Impl::Impl() : values(Directives().size()), noticed(Directives().size()) {
  for (size_t row = 0; row < Directives().size(); ++row) {
    const Directive& directive = Directives()[row];
    values[row] = std::string(directive.fallback);
    by_name.emplace(directive.name, Entry{row, false});
    if (!directive.alias.empty()) by_name.emplace(directive.alias, Entry{row, true});
  }
  // Redis's `dir` defaults to the directory it was started in.
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  if (!ec) values[by_name.at("dir").row] = cwd.string();
}

void ConfigStore::Impl::Notice(size_t row, std::string_view name) {
  if (noticed[row] || notices == nullptr) return;
  noticed[row] = true;
  std::string_view why;
  switch (Directives()[row].use) {
    case Use::kActive:
      return;
    case Use::kNoData:
      why = "herald keeps no data";
      break;
    case Use::kNoReplication:
      why = "herald's replication has no use for it";
      break;
    case Use::kUnsupported:
      why = "not supported by herald";
      break;
  }
  notices->push_back(fmt::format("Ignoring '{}': {}", name, why));
}

// Parses a whole configuration text the way Redis's loadServerConfigFromString() does: split at
// '\n', trim " \t\r\n", skip blank lines and lines starting with '#', split the rest into
// arguments and match the first one, in any case, against the directives.
//
// Returns:
//   true  every line was applied (or is a comment);
//   false `*error` holds the complete message for the first bad line (or the file that could
//         not be read); lines before it have been applied.
bool ConfigStore::Impl::ParseText(std::string_view text, const std::vector<Segment>& segments,
                                  int depth, Config* config, std::string* error) {
  size_t line_start = 0;
  int line_number = 0;
  while (line_start <= text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    ++line_number;
    std::string_view line = Trim(text.substr(line_start, line_end - line_start), " \t\r\n");
    // Redis sees each line as a C string.
    line = line.substr(0, line.find('\0'));
    size_t offset = line_start;
    line_start = line_end + 1;
    if (line.empty() || line[0] == '#') continue;

    auto fail = [&](std::string_view reason) {
      const Segment* segment = &segments.front();
      for (const Segment& candidate : segments) {
        if (candidate.offset <= offset) segment = &candidate;
      }
      int where = line_number;
      if (segment->own_numbering) {
        for (size_t i = 0; i < segment->offset && i < text.size(); ++i) where -= text[i] == '\n';
      }
      *error = fmt::format(
          "*** FATAL CONFIG FILE ERROR (Redis {}) ***\n"
          "Reading the configuration file, at line {}\n"
          ">>> '{}'\n"
          "{}\n"
          "{}:{}: {}",
          kRedisVersion, line_number, line, reason, segment->name, where, reason);
      return false;
    };

    std::optional<std::vector<std::string>> split = SplitArgs(line);
    if (!split) return fail("Unbalanced quotes in configuration line");
    std::vector<std::string>& argv = *split;
    if (argv.empty()) continue;
    std::string name = ToLower(argv[0]);

    if (std::optional<Entry> entry = Find(name)) {
      const Directive& directive = Directives()[entry->row];
      std::vector<std::string> args(argv.begin() + 1, argv.end());
      if (!(directive.flags & kMultiArg) && args.size() != 1) {
        return fail("wrong number of arguments");
      }
      // `bind "a b"` and `--bind "a b"` mean `bind a b`; an unbalanced inner quote leaves no
      // argument at all, as in Redis.
      if ((directive.flags & kMultiArg) && args.size() == 1 && !args[0].empty()) {
        args = SplitArgs(args[0]).value_or(std::vector<std::string>{});
      }
      std::string reason = Assign(directive, args, config, &values[entry->row], &first_save);
      if (!reason.empty()) return fail(reason);
      Notice(entry->row, NameOf(*entry));
      continue;
    }
    if (IsDeprecated(name) && argv.size() == 2) {
      if (notices != nullptr) {
        notices->push_back(fmt::format("Ignoring '{}': deprecated since Redis 7.0", name));
      }
      continue;
    }

    if (name == "include" && argv.size() == 2) {
      if (depth >= kMaxIncludeDepth) return fail("include nesting is too deep");
      if (!Include(argv[1], depth + 1, config, error)) return false;
    } else if (name == "rename-command" && argv.size() == 3) {
      return fail("rename-command is not supported by herald");
    } else if (name == "user" && argv.size() >= 2) {
      // Checked when the users are built (resp/acl_commands.cc), as Redis checks them after
      // loading the whole file.
      config->acl_users.emplace_back(argv.begin() + 1, argv.end());
    } else if (name == "loadmodule" && argv.size() >= 2) {
      return fail("modules are not supported by herald");
    } else if (name.find('.') != std::string::npos) {
      if (argv.size() == 1) return fail("Module config specified without value");
      return fail("modules are not supported by herald");
    } else if (name == "sentinel") {
      // A bare "sentinel" line is a no-op in Redis too.
      if (argv.size() != 1) return fail("sentinel directive while not in sentinel mode");
    } else {
      return fail("Bad directive or wrong number of arguments");
    }
  }
  return true;
}

// `include` reads a file relative to the working directory, like Redis. A pattern with * ? or [
// includes every match, concatenated into one text (so the "at line" count runs across them), and
// none at all is fine, so that an empty conf.d directory can be included.
bool ConfigStore::Impl::Include(const std::string& pattern, int depth, Config* config,
                                std::string* error) {
  std::string text;
  std::vector<Segment> segments;
  if (pattern.find_first_of("*?[") != std::string::npos) {
    glob_t matches;
    if (glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
      for (size_t i = 0; i < matches.gl_pathc; ++i) {
        segments.push_back({text.size(), matches.gl_pathv[i], true});
        if (!ReadFile(matches.gl_pathv[i], &text, error)) {
          globfree(&matches);
          return false;
        }
      }
      globfree(&matches);
    }
    if (segments.empty()) return true;
  } else {
    segments.push_back({0, pattern, true});
    if (!ReadFile(pattern, &text, error)) return false;
  }
  return ParseText(text, segments, depth, config, error);
}

// ---------------------------------------------------------------------------------------------

ConfigStore::ConfigStore() : impl_(std::make_unique<Impl>()) {}

ConfigStore::~ConfigStore() = default;

bool ConfigStore::Load(const CommandLine& command_line, std::string* error,
                       std::vector<std::string>* notices) {
  bool from_stdin = command_line.config_from_stdin || command_line.config_file == "-";
  std::string path = command_line.config_file == "-" ? std::string() : command_line.config_file;
  std::string absolute;
  std::string text;
  std::vector<Segment> segments;
  std::string ignored_error;
  if (error == nullptr) error = &ignored_error;

  // Redis reads the file, then standard input, then appends "\n" and the command-line options,
  // and parses the whole as one text.
  if (!path.empty()) {
    std::error_code ec;
    std::filesystem::path full = std::filesystem::absolute(path, ec);
    absolute = ec ? path : full.lexically_normal().string();
    segments.push_back({0, absolute, true});
    if (!ReadFile(absolute, &text, error)) return false;
  }
  if (from_stdin) {
    segments.push_back({text.size(), "stdin", true});
    // Read to EOF and left open, as redis-server does.
    if (!ReadAll(stdin, "stdin", &text, error)) return false;
  }
  if (!command_line.overrides.empty()) {
    text += '\n';
    segments.push_back({text.size(), "command line", false});
    text += command_line.overrides;
  }
  if (segments.empty()) return true;

  Config saved_config = config_;
  std::vector<std::string> saved_values = impl_->values;
  impl_->first_save = true;
  impl_->noticed.assign(Directives().size(), false);
  impl_->notices = notices;
  bool ok = impl_->ParseText(text, segments, 0, &config_, error);
  impl_->notices = nullptr;
  if (!ok) {
    config_ = std::move(saved_config);
    impl_->values = std::move(saved_values);
    return false;
  }
  config_file_ = absolute;
  return true;
}

bool ConfigStore::Load(const std::string& path, const std::string& overrides, std::string* error,
                       std::vector<std::string>* notices) {
  CommandLine command_line;
  command_line.config_file = path;
  command_line.overrides = overrides;
  return Load(command_line, error, notices);
}

std::vector<std::pair<std::string, std::string>> ConfigStore::Get(
    const std::vector<std::string_view>& patterns) const {
  // Slot 2*row is a row's canonical name, 2*row+1 its alias: Redis lists both spellings.
  std::vector<std::optional<std::string>> matched(2 * Directives().size());
  for (std::string_view pattern : patterns) {
    if (pattern.find_first_of("[*?") == std::string_view::npos) {
      // An exact name is answered under the spelling asked for, hidden directives included.
      if (std::optional<Impl::Entry> entry = impl_->Find(pattern)) {
        auto& slot = matched[2 * entry->row + (entry->alias ? 1 : 0)];
        if (!slot) slot = std::string(pattern);
      }
      continue;
    }
    // Redis matches patterns without regard to case; every name is lower case, so lowering the
    // pattern is equivalent (Redis lowers both sides byte by byte, ranges included).
    std::string lowered = ToLower(pattern);
    for (size_t row = 0; row < Directives().size(); ++row) {
      const Directive& directive = Directives()[row];
      if (directive.flags & kHidden) continue;
      for (int alias = 0; alias < 2; ++alias) {
        std::string_view name = alias ? directive.alias : directive.name;
        auto& slot = matched[2 * row + alias];
        if (name.empty() || slot) continue;
        if (protocol::GlobMatch(lowered, name)) slot = std::string(name);
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < matched.size(); ++i) {
    if (!matched[i]) continue;
    size_t row = i / 2;
    out.emplace_back(std::move(*matched[i]),
                     Render(Directives()[row], config_, impl_->values[row]));
  }
  return out;
}

// Redis's order of checks: names, mutability and duplicates for every pair first (the first
// problem wins), then the values one by one (the first bad one restores everything), then the
// apply hook.
std::string ConfigStore::Set(
    const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  std::vector<Impl::Entry> entries;
  for (const auto& [name, value] : pairs) {
    std::optional<Impl::Entry> entry = impl_->Find(name);
    if (!entry) {
      return fmt::format("ERR Unknown option or number of arguments for CONFIG SET - '{}'", name);
    }
    const Directive& directive = Directives()[entry->row];
    // These errors name the argument as the client spelled it; value errors below use the
    // directive's own name. Redis does the same.
    if (directive.flags & kImmutable) {
      return fmt::format(
          "ERR CONFIG SET failed (possibly related to argument '{}') - can't set immutable config",
          name);
    }
    if (directive.flags & kProtected) {
      return fmt::format(
          "ERR CONFIG SET failed (possibly related to argument '{}') - can't set protected config",
          name);
    }
    if (std::find(entries.begin(), entries.end(), *entry) != entries.end()) {
      return fmt::format(
          "ERR CONFIG SET failed (possibly related to argument '{}') - duplicate parameter", name);
    }
    entries.push_back(*entry);
  }

  Config saved_config = config_;
  std::vector<std::string> saved_values = impl_->values;
  auto restore = [&] {
    config_ = saved_config;
    impl_->values = saved_values;
  };
  std::vector<std::string> before;
  before.reserve(entries.size());
  for (const Impl::Entry& entry : entries) {
    before.push_back(Render(Directives()[entry.row], config_, impl_->values[entry.row]));
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const Directive& directive = Directives()[entries[i].row];
    std::vector<std::string> args;
    if (directive.flags & kMultiArg) {
      args = SplitAtSpaces(pairs[i].second);
    } else {
      args.emplace_back(pairs[i].second);
    }
    std::string reason = Assign(directive, args, &config_, &impl_->values[entries[i].row], nullptr);
    if (!reason.empty()) {
      restore();
      return fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - {}",
                         Impl::NameOf(entries[i]), reason);
    }
    // Redis raises a backlog size set at run time to its 16kb minimum, and CONFIG GET then shows
    // the raised value (observed on 7.0.15); a value loaded from a file is kept as written.
    if (directive.field == Field(&Config::repl_backlog_size)) {
      config_.repl_backlog_size = std::max<uint64_t>(config_.repl_backlog_size, 16 * 1024);
    }
  }

  std::vector<std::string> changed;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Directive& directive = Directives()[entries[i].row];
    if (Render(directive, config_, impl_->values[entries[i].row]) == before[i]) continue;
    if (std::find(changed.begin(), changed.end(), directive.name) != changed.end()) continue;
    changed.emplace_back(directive.name);
  }
  if (changed.empty() || !apply_) return {};
  std::string apply_error = apply_(changed);
  if (!apply_error.empty()) {
    // Like Redis, put the old values back and apply them again so that the server returns to
    // them; a failure of that second apply has nothing better to report than the first.
    restore();
    apply_(changed);
    return apply_error;
  }
  return {};
}

void ConfigStore::SetReplicaOf(std::string host, int port) {
  config_.master_host = std::move(host);
  config_.master_port = config_.master_host.empty() ? 0 : port;
}

// ---------------------------------------------------------------------------------------------

bool ParseCommandLine(int argc, const char* const* argv, CommandLine* out, std::string* error) {
  *out = CommandLine{};
  if (argc < 1 || argv == nullptr) {
    if (error != nullptr) *error = "empty command line";
    return false;
  }
  for (int i = 0; i < argc; ++i) {
    if (argv[i] == nullptr) {
      if (error != nullptr) *error = fmt::format("argument {} is missing", i);
      return false;
    }
  }
  if (argc < 2) return true;

  std::string_view first = argv[1];
  if (first == "-v" || first == "--version") {
    out->version = true;
    return true;
  }
  if (first == "--help" || first == "-h") {
    out->help = true;
    return true;
  }
  int j = 1;
  if (!first.starts_with('-')) {
    out->config_file = argv[1];
    j = 2;
  }
  // Whether the last `--name` already has a value. Until it has one, even an argument starting
  // with "--" is taken as its value (`--port --bind x` sets port to "--bind" "x" and fails), as
  // in redis-server.
  bool have_value = true;
  std::string& options = out->overrides;
  for (; j < argc; ++j) {
    std::string_view arg = argv[j];
    bool next_is_option = j + 1 < argc && std::string_view(argv[j + 1]).starts_with("--");
    if (arg == "-" && (j == 1 || j == argc - 1)) {
      out->config_from_stdin = true;
    } else if (have_value && arg.starts_with("--")) {
      if (!options.empty()) options += '\n';
      options.append(arg.substr(2));
      options += ' ';
      std::optional<std::vector<std::string>> words = SplitArgs(arg);
      if (words && words->size() == 1) {
        // Just a name: values follow. A bare --save means `save ""` (no snapshots), as
        // generated command lines produce it; a bare --sentinel has no value at all.
        have_value = false;
        bool is_save = protocol::EqualsIgnoreCase(arg, "--save");
        if (is_save && (next_is_option || j == argc - 1)) {
          options += "\"\"";
          have_value = next_is_option;
        } else if (protocol::EqualsIgnoreCase(arg, "--sentinel") && next_is_option) {
          have_value = true;
        }
      } else {
        // "--port 6380" as one argument carries its own value.
        have_value = true;
      }
    } else {
      AppendQuoted(&options, arg);
      options += ' ';
      have_value = true;
    }
  }
  if (out->config_from_stdin && out->config_file.empty()) out->config_file = "-";
  return true;
}

}  // namespace herald::config
