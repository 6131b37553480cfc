#include "broker/acl.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

#include "protocol/glob.h"
#include "protocol/numbers.h"

namespace herald::broker {
namespace {

constexpr std::string_view kSyntax = "Syntax error";
constexpr std::string_view kUnknownName = "Unknown command or category name in ACL";
constexpr std::string_view kBadHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";
constexpr uint64_t kLogGroupMs = 60000;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsHash(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool IsCategory(std::string_view name) {
  const auto& all = AclCategories();
  return std::find(all.begin(), all.end(), name) != all.end();
}

// Whether the categories text ("@pubsub @slow") holds `category` ("@pubsub").
bool HasCategory(std::string_view categories, std::string_view category) {
  size_t at = 0;
  while ((at = categories.find(category, at)) != std::string_view::npos) {
    size_t end = at + category.size();
    if (end == categories.size() || categories[end] == ' ') return true;
    at = end;
  }
  return false;
}

}  // namespace

const std::vector<std::string_view>& AclCategories() {
  static const std::vector<std::string_view> kCategories = {
      "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
      "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
      "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};
  return kCategories;
}

std::string AclPasswordHash(std::string_view password) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(password.data()), password.size(), digest);
  std::string hex;
  hex.reserve(64);
  for (unsigned char byte : digest) fmt::format_to(std::back_inserter(hex), "{:02x}", byte);
  return hex;
}

bool AclHasSpaces(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return c == 0 || std::isspace(static_cast<unsigned char>(c)) != 0;
  });
}

bool MergeSelectorArguments(const std::vector<std::string_view>& args,
                            std::vector<std::string>* merged, std::string* unmatched) {
  merged->clear();
  std::string selector;
  bool open = false;
  for (std::string_view arg : args) {
    if (!open && !arg.empty() && arg.front() == '(' && arg.back() != ')') {
      selector.assign(arg);
      *unmatched = std::string(arg);
      open = true;
      continue;
    }
    if (open) {
      selector += ' ';
      selector += arg;
      if (!arg.empty() && arg.back() == ')') {
        merged->push_back(std::move(selector));
        open = false;
      }
      continue;
    }
    merged->emplace_back(arg);
  }
  return !open;
}

// -- AclSelector ------------------------------------------------------------------------------

namespace {
constexpr int kRead = 1;
constexpr int kWrite = 2;
}  // namespace

void AclSelector::AddCommandRule(bool allow, std::string target) {
  // As Redis 7.0 keeps its command rules: a rule replaces an earlier one for the same target,
  // and a rule for a whole command engulfs those for its subcommands ("+memory|doctor +memory"
  // is "+memory").
  std::string prefix = target + '|';
  std::erase_if(rules_, [&](const CommandRule& rule) {
    return rule.target == target || (target[0] != '@' && rule.target.starts_with(prefix));
  });
  rules_.push_back({allow, std::move(target)});
  // Leading rules that change nothing ("+@all +client|id", "-@all -publish") are not kept, also
  // when an earlier rule's removal leaves one in front: Redis describes the permissions, not the
  // rules that led there, and the description must read back as itself (ACL SAVE / LOAD).
  while (!rules_.empty() && rules_.front().allow == allcommands_) rules_.erase(rules_.begin());
}

std::string AclSelector::Apply(std::string_view rule, const AclCatalog& catalog) {
  std::string op = Lower(rule);
  if (op == "allkeys" || op == "~*") {
    allkeys_ = true;
    keys_.clear();
  } else if (op == "resetkeys") {
    allkeys_ = false;
    keys_.clear();
  } else if (op == "allchannels" || op == "&*") {
    allchannels_ = true;
    channels_.clear();
  } else if (op == "resetchannels") {
    allchannels_ = false;
    channels_.clear();
  } else if (op == "allcommands" || op == "+@all") {
    allcommands_ = true;
    rules_.clear();
  } else if (op == "nocommands" || op == "-@all") {
    allcommands_ = false;
    rules_.clear();
  } else if (!rule.empty() && (rule[0] == '~' || rule[0] == '%')) {
    // Key patterns: kept to be shown, never used (no keyspace).
    if (allkeys_) {
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does "
             "not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    }
    int flags = kRead | kWrite;
    size_t offset = 1;
    if (rule[0] == '%') {
      flags = 0;
      for (; offset < rule.size(); ++offset) {
        char c = static_cast<char>(std::toupper(static_cast<unsigned char>(rule[offset])));
        if (c == 'R' && (flags & kRead) == 0) {
          flags |= kRead;
        } else if (c == 'W' && (flags & kWrite) == 0) {
          flags |= kWrite;
        } else if (rule[offset] == '~') {
          ++offset;
          break;
        } else {
          return std::string(kSyntax);
        }
      }
      if (flags == 0) return std::string(kSyntax);
    }
    std::string_view pattern = rule.substr(std::min(offset, rule.size()));
    if (AclHasSpaces(pattern)) return std::string(kSyntax);
    if (pattern == "*" && flags == (kRead | kWrite)) {
      // "%RW~*" is "~*" (allkeys): ACL LIST shows it so, and it must read back the same.
      allkeys_ = true;
      keys_.clear();
      return {};
    }
    auto same = std::find_if(keys_.begin(), keys_.end(),
                             [&](const KeyPattern& key) { return key.pattern == pattern; });
    if (same != keys_.end()) {
      same->flags |= flags;
      if (same->pattern == "*" && same->flags == (kRead | kWrite)) {
        // "%R~* %W~*" is "~*" too.
        allkeys_ = true;
        keys_.clear();
      }
    } else {
      keys_.push_back({flags, std::string(pattern)});
    }
  } else if (!rule.empty() && rule[0] == '&') {
    if (allchannels_) {
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
             "does not have any effect. Try 'resetchannels' to start with an empty list of "
             "channels";
    }
    std::string pattern(rule.substr(1));
    if (AclHasSpaces(pattern)) return std::string(kSyntax);
    if (std::find(channels_.begin(), channels_.end(), pattern) == channels_.end()) {
      channels_.push_back(std::move(pattern));
    }
  } else if (op.size() >= 2 && (op[0] == '+' || op[0] == '-')) {
    bool allow = op[0] == '+';
    std::string target = op.substr(1);
    // Redis's strict lookup of "cmd" or "cmd|sub" (a container and one of its subcommands).
    auto known = [&](std::string_view name) {
      size_t bar = name.find('|');
      if (bar == std::string_view::npos) return catalog.is_command(name);
      std::string_view base = name.substr(0, bar);
      std::string_view sub = name.substr(bar + 1);
      return sub.find('|') == std::string_view::npos && catalog.is_command(base) &&
             catalog.is_subcommand(base, {}) && catalog.is_subcommand(base, sub);
    };
    if (target[0] == '@') {
      if (!IsCategory(std::string_view(target).substr(1))) return std::string(kUnknownName);
    } else if (!allow && target.find('|') != std::string::npos) {
      // "-cmd|sub" names a subcommand; Redis has no "-cmd|first-arg".
      if (!known(target)) return std::string(kUnknownName);
    } else if (size_t bar = target.rfind('|'); bar != std::string::npos) {
      std::string_view name = std::string_view(target).substr(0, bar);
      std::string_view sub = std::string_view(target).substr(bar + 1);
      if (!known(name)) return std::string(kUnknownName);
      if (name.find('|') != std::string_view::npos) {
        return "Allowing first-arg of a subcommand is not supported";
      }
      if (sub.empty()) return std::string(kSyntax);
      // A command without subcommands takes a first argument here (Redis's deprecated form).
      if (catalog.is_subcommand(name, {}) && !catalog.is_subcommand(name, sub)) {
        return std::string(kUnknownName);
      }
    } else if (!catalog.is_command(target)) {
      return std::string(kUnknownName);
    }
    AddCommandRule(allow, std::move(target));
  } else {
    return std::string(kSyntax);
  }
  return {};
}

bool AclSelector::MayRun(std::string_view name, std::string_view sub,
                         std::string_view categories) const {
  bool allowed = allcommands_;
  for (const CommandRule& rule : rules_) {
    std::string_view target = rule.target;
    bool matches = false;
    if (target[0] == '@') {
      matches = HasCategory(categories, target);
    } else if (size_t bar = target.find('|'); bar != std::string_view::npos) {
      matches = target.substr(0, bar) == name && target.substr(bar + 1) == sub && !sub.empty();
    } else {
      matches = target == name;
    }
    if (matches) allowed = rule.allow;
  }
  return allowed;
}

bool AclSelector::MayUseChannel(std::string_view channel, bool is_pattern) const {
  if (allchannels_) return true;
  for (const std::string& pattern : channels_) {
    if (is_pattern ? pattern == channel : protocol::GlobMatch(pattern, channel)) return true;
  }
  return false;
}

bool AclSelector::MatchesKeyPattern(std::string_view key) const {
  if (allkeys_) return true;
  for (const KeyPattern& pattern : keys_) {
    if (protocol::GlobMatch(pattern.pattern, key)) return true;
  }
  return false;
}

std::string AclSelector::DescribeCommands() const {
  std::string out = allcommands_ ? "+@all" : "-@all";
  for (const CommandRule& rule : rules_) {
    fmt::format_to(std::back_inserter(out), " {}{}", rule.allow ? '+' : '-', rule.target);
  }
  return out;
}

std::string AclSelector::DescribeKeys() const {
  if (allkeys_) return "~*";
  std::string out;
  for (const KeyPattern& key : keys_) {
    if (!out.empty()) out += ' ';
    out += key.flags == (kRead | kWrite) ? "~" : (key.flags == kRead ? "%R~" : "%W~");
    out += key.pattern;
  }
  return out;
}

std::string AclSelector::DescribeChannels() const {
  if (allchannels_) return "&*";
  std::string out;
  for (const std::string& channel : channels_) {
    if (!out.empty()) out += ' ';
    out += '&';
    out += channel;
  }
  return out;
}

std::string AclSelector::Describe() const {
  std::string out = DescribeKeys();
  if (!out.empty()) out += ' ';
  if (allchannels_) {
    out += "&* ";
  } else {
    out += "resetchannels ";
    if (!channels_.empty()) out += DescribeChannels() + ' ';
  }
  out += DescribeCommands();
  return out;
}

// -- AclUser ----------------------------------------------------------------------------------

std::string AclUser::Apply(std::string_view rule, const AclCatalog& catalog,
                           bool allchannels_default) {
  std::string op = Lower(rule);
  ++version_;
  if (op == "on") {
    enabled_ = true;
  } else if (op == "off") {
    enabled_ = false;
  } else if (op == "nopass") {
    nopass_ = true;
    passwords_.clear();
  } else if (op == "resetpass") {
    nopass_ = false;
    passwords_.clear();
  } else if (op == "skip-sanitize-payload") {
    skip_sanitize_payload_ = true;
    sanitize_payload_ = false;
  } else if (op == "sanitize-payload") {
    sanitize_payload_ = true;
    skip_sanitize_payload_ = false;
  } else if (op == "reset") {
    for (std::string_view step : {"resetpass", "resetkeys", "resetchannels", "off",
                                  "sanitize-payload", "clearselectors", "-@all"}) {
      Apply(step, catalog, allchannels_default);
    }
    if (allchannels_default) Apply("allchannels", catalog, allchannels_default);
  } else if (op == "clearselectors") {
    selectors_.clear();
  } else if (!rule.empty() && (rule[0] == '>' || rule[0] == '<')) {
    std::string hash = AclPasswordHash(rule.substr(1));
    if (rule[0] == '>') {
      if (std::find(passwords_.begin(), passwords_.end(), hash) == passwords_.end()) {
        passwords_.push_back(std::move(hash));
      }
      nopass_ = false;
    } else {
      auto it = std::find(passwords_.begin(), passwords_.end(), hash);
      if (it == passwords_.end()) {
        return "The password you are trying to remove from the user does not exist";
      }
      passwords_.erase(it);
    }
  } else if (!rule.empty() && (rule[0] == '#' || rule[0] == '!')) {
    std::string_view hash = rule.substr(1);
    if (!IsHash(hash)) return std::string(kBadHash);
    if (rule[0] == '#') {
      if (std::find(passwords_.begin(), passwords_.end(), hash) == passwords_.end()) {
        passwords_.emplace_back(hash);
      }
      nopass_ = false;
    } else {
      auto it = std::find(passwords_.begin(), passwords_.end(), hash);
      if (it == passwords_.end())
        return "The password you are trying to remove from the user does not exist";
      passwords_.erase(it);
    }
  } else if (rule.size() >= 2 && rule.front() == '(' && rule.back() == ')') {
    // A selector: its rules split on white space, applied to a fresh one.
    AclSelector selector(allchannels_default);
    std::string_view inner = rule.substr(1, rule.size() - 2);
    // A parenthesis inside would not read back from ACL LIST's text ("(&e))").
    if (inner.find_first_of("()") != std::string_view::npos) return std::string(kSyntax);
    size_t at = 0;
    while (at < inner.size()) {
      if (std::isspace(static_cast<unsigned char>(inner[at])) != 0) {
        ++at;
        continue;
      }
      size_t end = at;
      while (end < inner.size() && std::isspace(static_cast<unsigned char>(inner[end])) == 0) {
        ++end;
      }
      std::string why = selector.Apply(inner.substr(at, end - at), catalog);
      if (!why.empty()) return why;
      at = end;
    }
    selectors_.push_back(std::move(selector));
  } else {
    return root_.Apply(rule, catalog);
  }
  return {};
}

bool AclUser::CheckPassword(std::string_view password) const {
  if (nopass_) return true;
  std::string hash = AclPasswordHash(password);
  bool found = false;
  for (const std::string& stored : passwords_) {
    found |= CRYPTO_memcmp(stored.data(), hash.data(), 64) == 0;
  }
  return found;
}

bool AclUser::MayRun(std::string_view name, std::string_view sub,
                     std::string_view categories) const {
  if (root_.MayRun(name, sub, categories)) return true;
  return std::any_of(selectors_.begin(), selectors_.end(), [&](const AclSelector& selector) {
    return selector.MayRun(name, sub, categories);
  });
}

bool AclUser::MayUseChannel(std::string_view channel, bool is_pattern) const {
  if (root_.MayUseChannel(channel, is_pattern)) return true;
  return std::any_of(selectors_.begin(), selectors_.end(), [&](const AclSelector& selector) {
    return selector.MayUseChannel(channel, is_pattern);
  });
}

bool AclUser::allchannels() const {
  if (root_.allchannels()) return true;
  return std::any_of(selectors_.begin(), selectors_.end(),
                     [](const AclSelector& selector) { return selector.allchannels(); });
}

AclDenied AclUser::Check(std::string_view name, std::string_view sub, std::string_view categories,
                         std::span<const std::string_view> channels, bool is_pattern,
                         size_t* denied_index, std::span<const std::string_view> keys) const {
  // As ACLCheckAllUserCommandPerm: the first selector that allows everything wins; otherwise the
  // worst reason wins (channel over key over command), and of two refusals for the same reason
  // the one further in the arguments is named.
  AclDenied worst = AclDenied::kCommand;
  size_t index = 0;
  auto refuse = [&](AclDenied why, size_t i) {
    if (why > worst || (why == worst && i > index)) index = i;
    if (why > worst) worst = why;
    return false;
  };
  auto check = [&](const AclSelector& selector) {
    if (!selector.MayRun(name, sub, categories)) return false;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!selector.MatchesKeyPattern(keys[i])) return refuse(AclDenied::kKey, i);
    }
    for (size_t i = 0; i < channels.size(); ++i) {
      if (!selector.MayUseChannel(channels[i], is_pattern)) return refuse(AclDenied::kChannel, i);
    }
    return true;
  };
  if (check(root_)) return AclDenied::kNone;
  for (const AclSelector& selector : selectors_) {
    if (check(selector)) return AclDenied::kNone;
  }
  if (denied_index != nullptr) *denied_index = index;
  return worst;
}

std::vector<std::string> AclUser::Flags() const {
  std::vector<std::string> flags = {enabled_ ? "on" : "off"};
  if (nopass_) flags.emplace_back("nopass");
  if (skip_sanitize_payload_) flags.emplace_back("skip-sanitize-payload");
  if (sanitize_payload_) flags.emplace_back("sanitize-payload");
  return flags;
}

std::string AclUser::Describe() const {
  std::string out;
  for (const std::string& flag : Flags()) {
    if (!out.empty()) out += ' ';
    out += flag;
  }
  for (const std::string& hash : passwords_) fmt::format_to(std::back_inserter(out), " #{}", hash);
  out += ' ' + root_.Describe();
  for (const AclSelector& selector : selectors_) out += " (" + selector.Describe() + ')';
  return out;
}

// -- AclStore ---------------------------------------------------------------------------------

AclStore::AclStore() {
  auto user = std::make_shared<AclUser>("default");
  AclCatalog none{.is_command = [](std::string_view) { return true; },
                  .is_subcommand = [](std::string_view, std::string_view) { return true; }};
  for (std::string_view rule : {"on", "nopass", "~*", "&*", "+@all"})
    user->Apply(rule, none, false);
  users_.emplace("default", std::move(user));
}

std::shared_ptr<AclUser> AclStore::Find(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

bool AclStore::SetUser(std::string_view name, const std::vector<std::string_view>& rules,
                       const AclCatalog& catalog, std::string* error) {
  if (AclHasSpaces(name)) {
    *error = "ERR Usernames can't contain spaces or null characters";
    return false;
  }
  std::vector<std::string> merged;
  std::string unmatched;
  if (!MergeSelectorArguments(rules, &merged, &unmatched)) {
    *error = fmt::format("ERR Unmatched parenthesis in acl selector starting at '{}'.", unmatched);
    return false;
  }
  std::shared_ptr<AclUser> existing = Find(name);
  // Applied to a copy first: a bad rule leaves the user as it was.
  AclUser changed = existing != nullptr ? *existing : AclUser(std::string(name));
  if (existing == nullptr && allchannels_default_) changed.Apply("allchannels", catalog, true);
  for (const std::string& rule : merged) {
    std::string why = changed.Apply(rule, catalog, allchannels_default_);
    if (!why.empty()) {
      *error = fmt::format("ERR Error in ACL SETUSER modifier '{}': {}", rule, why);
      return false;
    }
  }
  if (existing != nullptr) {
    // Sessions hold the user by pointer: change it in place.
    *existing = std::move(changed);
  } else {
    users_.emplace(std::string(name), std::make_shared<AclUser>(std::move(changed)));
  }
  return true;
}

std::shared_ptr<AclUser> AclStore::DeleteUser(std::string_view name) {
  auto it = users_.find(name);
  if (it == users_.end()) return nullptr;
  std::shared_ptr<AclUser> user = it->second;
  users_.erase(it);
  return user;
}

void AclStore::ReplaceAll(std::map<std::string, std::shared_ptr<AclUser>, std::less<>> users) {
  users_ = std::move(users);
  if (users_.find("default") == users_.end()) {
    AclStore fresh;
    users_.emplace("default", fresh.Find("default"));
  }
}

bool AclStore::ParseUserLines(std::string_view text, const AclCatalog& catalog,
                              std::map<std::string, std::shared_ptr<AclUser>, std::less<>>* users,
                              std::string* error, std::string_view file) const {
  // An ACL file: every error is reported, in Redis's words, and then nothing is applied.
  // redis.conf's user lines: the first error, which stops the start.
  std::string errors;
  size_t line_no = 0;
  auto fail = [&](std::string message) {
    errors += message;
    return file.empty();  // stop at the first error for redis.conf lines
  };
  while (!text.empty()) {
    ++line_no;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string_view> words;
    size_t at = 0;
    while (at < line.size()) {
      size_t space = line.find(' ', at);
      if (space == std::string_view::npos) space = line.size();
      if (space > at) words.push_back(line.substr(at, space - at));
      at = space + 1;
    }
    if (words.size() < 2 || words[0] != "user") {
      if (fail(file.empty() ? fmt::format("line {}: should start with user keyword", line_no)
                            : fmt::format("{}:{} should start with user keyword followed by the "
                                          "username. ",
                                          file, line_no))) {
        break;
      }
      continue;
    }
    if (AclHasSpaces(words[1])) {
      if (fail(fmt::format("{}:{}: username '{}' contains invalid characters. ", file, line_no,
                           words[1]))) {
        break;
      }
      continue;
    }
    if (users->find(words[1]) != users->end()) {
      if (fail(
              file.empty()
                  ? fmt::format("line {}: Duplicate user found. A user can only be defined once in "
                                "config files",
                                line_no)
                  : fmt::format("WARNING: Duplicate user '{}' found on line {}. ", words[1],
                                line_no))) {
        break;
      }
      continue;
    }
    std::vector<std::string> rules;
    std::string unmatched;
    if (!MergeSelectorArguments({words.begin() + 2, words.end()}, &rules, &unmatched)) {
      if (fail(file.empty()
                   ? fmt::format("line {}: Unmatched parenthesis in selector definition.", line_no)
                   : fmt::format("{}:{}: Unmatched parenthesis in selector definition.", file,
                                 line_no))) {
        break;
      }
      continue;
    }
    AclUser user{std::string(words[1])};
    if (allchannels_default_) user.Apply("allchannels", catalog, true);
    bool bad = false;
    for (const std::string& rule : rules) {
      std::string why = user.Apply(rule, catalog, allchannels_default_);
      if (why.empty()) continue;
      bad = true;
      if (file.empty()) {
        errors += fmt::format("line {}: Error in applying operation '{}': {}", line_no, rule, why);
      } else {
        errors +=
            fmt::format("{}:{}: Error in applying operation '{}': {}. ", file, line_no, rule, why);
      }
      break;
    }
    if (bad) {
      if (file.empty()) break;
      continue;
    }
    users->emplace(std::string(words[1]), std::make_shared<AclUser>(std::move(user)));
  }
  if (errors.empty()) return true;
  if (!file.empty()) {
    errors +=
        "WARNING: ACL errors detected, no change to the previously active ACL rules was "
        "performed";
  }
  *error = std::move(errors);
  return false;
}

void AclStore::Log(LogEntry entry, uint64_t now_ms, size_t max_len) {
  // As Redis 7.0: only the 10 newest entries are candidates for grouping.
  size_t scan = 0;
  for (auto it = log_.begin(); it != log_.end() && scan < 10; ++it, ++scan) {
    if (it->reason == entry.reason && it->context == entry.context && it->object == entry.object &&
        it->username == entry.username && now_ms - it->updated_ms < kLogGroupMs) {
      LogEntry grouped = std::move(*it);
      log_.erase(it);
      ++grouped.count;
      grouped.updated_ms = now_ms;
      grouped.client_info = std::move(entry.client_info);
      log_.push_front(std::move(grouped));
      return;
    }
  }
  entry.created_ms = entry.updated_ms = now_ms;
  log_.push_front(std::move(entry));
  while (log_.size() > max_len) log_.pop_back();
}

}  // namespace herald::broker
