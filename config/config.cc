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
bool ReadAll(std::FILE* file, const std::string& name, std::string* out, std::string* error) {
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) out->append(buffer, n);
  if (std::ferror(file) == 0) return true;
  // Redis would load a directory as an empty file; saying so is more useful.
  *error = fmt::format("Fatal error, can't read config file '{}': {}", name, std::strerror(errno));
  return false;
}

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

// ---------------------------------------------------------------------------------------------

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
    auto it = by_name.find(ToLower(name));
    if (it == by_name.end()) return std::nullopt;
    return it->second;
  }
  static std::string_view NameOf(Entry entry) {
    const Directive& directive = Directives()[entry.row];
    return entry.alias ? directive.alias : directive.name;
  }

  bool ParseText(std::string_view text, const std::vector<Segment>& segments, int depth,
                 Config* config, std::string* error);
  bool Include(const std::string& pattern, int depth, Config* config, std::string* error);
  void Notice(size_t row, std::string_view name);
};

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
// CONFIG REWRITE (Redis's rewriteConfig() in config.c, observed on 7.0.15).

namespace {

constexpr std::string_view kRewriteSignature = "# Generated by CONFIG REWRITE";

// Redis's rewriteConfigFormatMemory(): the largest of gb, mb, kb that divides the value.
std::string FormatMemory(uint64_t bytes) {
  constexpr uint64_t kKb = 1024, kMb = kKb * 1024, kGb = kMb * 1024;
  if (bytes != 0 && bytes % kGb == 0) return fmt::format("{}gb", bytes / kGb);
  if (bytes != 0 && bytes % kMb == 0) return fmt::format("{}mb", bytes / kMb);
  if (bytes != 0 && bytes % kKb == 0) return fmt::format("{}kb", bytes / kKb);
  return std::to_string(bytes);
}

std::string Quoted(std::string_view s) {
  std::string out;
  AppendQuoted(&out, s);
  return out;
}

// The old file as Redis's rewrite state holds it: its lines, and for each directive (canonical
// name) the indexes of the lines that set it, in order.
struct RewriteState {
  std::vector<std::string> lines;
  std::unordered_map<std::string, std::vector<size_t>> option_lines;
  std::vector<std::string> processed;
  bool needs_signature = true;

  // rewriteConfigRewriteLine(): reuse the option's next old line, else append when `force`.
  void RewriteLine(const std::string& option, std::string line, bool force) {
    MarkProcessed(option);
    auto it = option_lines.find(option);
    if (it != option_lines.end() && !it->second.empty()) {
      lines[it->second.front()] = std::move(line);
      it->second.erase(it->second.begin());
      return;
    }
    if (!force) return;
    if (needs_signature) {
      lines.emplace_back(kRewriteSignature);
      needs_signature = false;
    }
    lines.push_back(std::move(line));
  }
  void MarkProcessed(const std::string& option) {
    if (std::find(processed.begin(), processed.end(), option) == processed.end()) {
      processed.push_back(option);
    }
  }
  // rewriteConfigRemoveOrphaned(): old lines of a rewritten option that were not reused.
  void BlankOrphans() {
    for (const std::string& option : processed) {
      auto it = option_lines.find(option);
      if (it == option_lines.end()) continue;
      for (size_t index : it->second) lines[index].clear();
    }
  }
  // rewriteConfigGetContentFromState(): every run of blank lines becomes one.
  std::string Content() const {
    std::string out;
    bool was_empty = false;
    for (const std::string& line : lines) {
      if (line.empty()) {
        if (was_empty) continue;
        was_empty = true;
      } else {
        was_empty = false;
      }
      out += line;
      out += '\n';
    }
    return out;
  }
};

// Writes `content` over `path` through a temporary file in the same directory, so that a crash
// leaves either the old file or the new one. Returns "" or strerror's text.
std::string ReplaceFile(const std::string& path, const std::string& content) {
  std::filesystem::path target(path);
  std::string dir = target.parent_path().string();
  if (dir.empty()) dir = ".";
  std::string temp = dir + "/.herald-rewrite-XXXXXX";
  int fd = mkstemp(temp.data());
  if (fd < 0) return std::strerror(errno);
  auto fail = [&](int err) {
    close(fd);
    unlink(temp.c_str());
    return std::string(std::strerror(err));
  };
  // 0644 less the umask, whatever the old file had, as in Redis (mkstemp made it 0600).
  mode_t mask = umask(0);
  umask(mask);
  const mode_t mode = 0644 & ~mask;
  if (fchmod(fd, mode) != 0) return fail(errno);
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno);
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail(errno);
  if (close(fd) != 0) {
    int err = errno;
    unlink(temp.c_str());
    return std::strerror(err);
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(temp.c_str());
    return std::strerror(err);
  }
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return {};
}

// String directives Redis 7.0 stores as NULL when set to "" (EMPTY_STRING_IS_NULL): CONFIG
// REWRITE writes no line for them then, and blanks the old ones.
bool EmptyMeansUnset(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "masterauth",       "masteruser",          "requirepass",         "unixsocket",
      "pidfile",          "replica-announce-ip", "cluster-announce-ip", "cluster-announce-hostname",
      "bind-source-addr", "server_cpulist",      "bio_cpulist",         "aof_rewrite_cpulist",
      "bgsave_cpulist"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames) ||
         name.starts_with("tls-");
}

bool IsSpecialLine(std::string_view name) {
  return name == "include" || name == "rename-command" || name == "user" || name == "loadmodule" ||
         name == "sentinel";
}

}  // namespace

std::string ConfigStore::Rewrite(const std::vector<std::string>& user_lines) const {
  if (config_file_.empty()) return "ERR The server is running without a config file";

  RewriteState state;
  std::string text;
  if (std::FILE* file = std::fopen(config_file_.c_str(), "r")) {
    std::string ignored;
    bool ok = ReadAll(file, config_file_, &text, &ignored);
    std::fclose(file);
    if (!ok) return fmt::format("ERR Rewriting config file: {}", std::strerror(errno));
  } else if (errno != ENOENT) {
    // A file that is gone is rewritten from scratch, as in Redis.
    return fmt::format("ERR Rewriting config file: {}", std::strerror(errno));
  }
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line(Trim(std::string_view(text).substr(start, end - start), "\r\n\t "));
    start = end + 1;
    if (line.empty() || line[0] == '#') {
      if (line == kRewriteSignature) state.needs_signature = false;
      state.lines.push_back(std::move(line));
      continue;
    }
    std::optional<std::vector<std::string>> argv = SplitArgs(line);
    std::optional<Impl::Entry> entry;
    std::string name;
    if (argv && !argv->empty()) {
      name = ToLower((*argv)[0]);
      entry = impl_->Find(name);
    }
    if (!entry && !IsSpecialLine(name)) {
      // Unparsable, or nothing herald reads back (a deprecated directive): kept as a comment.
      state.lines.push_back("# ??? " + line);
      continue;
    }
    if (entry) {
      name = std::string(Directives()[entry->row].name);  // an alias line counts as its option
    }
    state.option_lines[name].push_back(state.lines.size());
    state.lines.push_back(std::move(line));
  }
  // Redis ends the old content with a blank line, which separates what it appends.
  state.lines.emplace_back();

  const Config defaults;
  for (size_t row = 0; row < Directives().size(); ++row) {
    const Directive& directive = Directives()[row];
    const std::string option(directive.name);
    const std::string value = Render(directive, config_, impl_->values[row]);
    const std::string fallback = Render(directive, defaults, std::string(directive.fallback));
    const bool differs = value != fallback;
    switch (directive.type) {
      case Type::kOutputLimits: {
        static constexpr std::string_view kClassNames[kClientClassCount] = {"normal", "slave",
                                                                            "pubsub"};
        for (int i = 0; i < kClientClassCount; ++i) {
          const OutputLimit& now = config_.output_limits[i];
          const OutputLimit& then = defaults.output_limits[i];
          bool force = now.hard_bytes != then.hard_bytes || now.soft_bytes != then.soft_bytes ||
                       now.soft_seconds != then.soft_seconds;
          state.RewriteLine(
              option,
              fmt::format("{} {} {} {} {}", option, kClassNames[i], FormatMemory(now.hard_bytes),
                          FormatMemory(now.soft_bytes), now.soft_seconds),
              force);
        }
        continue;
      }
      case Type::kReplicaOf:
        // A master has no replicaof line: the old ones are blanked.
        if (config_.master_host.empty()) {
          state.MarkProcessed(option);
        } else {
          state.RewriteLine(
              option, fmt::format("{} {} {}", option, config_.master_host, config_.master_port),
              true);
        }
        continue;
      case Type::kBind:
        // The default address list is not written, and old bind lines go.
        if (!differs) {
          state.MarkProcessed(option);
        } else {
          state.RewriteLine(option, option + " " + (value.empty() ? "\"\"" : value), true);
        }
        continue;
      case Type::kSave: {
        // Always written, one line per pair, or save "" for none.
        std::vector<std::string> words = SplitAtSpaces(value);
        if (words.empty()) state.RewriteLine(option, option + " \"\"", true);
        for (size_t i = 0; i + 1 < words.size(); i += 2) {
          state.RewriteLine(option, fmt::format("{} {} {}", option, words[i], words[i + 1]), true);
        }
        continue;
      }
      default:
        break;
    }
    if (directive.type == Type::kString && value.empty() && EmptyMeansUnset(option)) {
      state.MarkProcessed(option);
      continue;
    }
    std::string argument;
    switch (directive.type) {
      case Type::kString:
      case Type::kKeyspaceEvents:
        argument = Quoted(value);
        break;
      case Type::kMemory:
        argument = FormatMemory(std::strtoull(value.c_str(), nullptr, 10));
        break;
      case Type::kMemoryOrPercent:
        argument =
            value.ends_with('%') ? value : FormatMemory(std::strtoull(value.c_str(), nullptr, 10));
        break;
      default:
        argument = value.empty() ? "\"\"" : value;
        break;
    }
    // Redis always writes these two: dir has no default to compare with, and the percentiles'
    // comparison never finds them equal.
    bool force = differs || option == "dir" || option == "latency-tracking-info-percentiles";
    state.RewriteLine(option, option + " " + argument, force);
  }
  // rewriteConfigUserOption(): the users, last, unless they live in an aclfile.
  if (config_.aclfile.empty()) {
    for (const std::string& line : user_lines) state.RewriteLine("user", line, true);
  }
  state.MarkProcessed("user");
  state.BlankOrphans();

  std::string error = ReplaceFile(config_file_, state.Content());
  if (!error.empty()) return "ERR Rewriting config file: " + error;
  return {};
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
