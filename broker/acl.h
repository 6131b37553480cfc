#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// Redis 6/7 ACL users, as far as a pub/sub server has use for them: passwords, the on/off flag,
// command rules (+cmd, -cmd|sub, +@category, allcommands), channel patterns (&pattern,
// allchannels) and selectors. Key patterns (~, %R~, allkeys) are accepted and shown, and only
// checked for the keys WATCH names: herald has no keys. The same users can be named by browser
// tokens, so the store lives with the broker. Pure: the front end says which commands and
// categories exist (AclCatalog) and what a command belongs to; no clock beyond what the caller
// passes.
namespace herald::broker {

// What the front end knows about commands, for validating rules and for ACL CAT.
struct AclCatalog {
  // Whether `name` (lower case) is a command Redis 7.0 has (herald's own, and the data
  // commands herald lacks, so that redis.conf users such as "+get" load).
  std::function<bool(std::string_view)> is_command;
  // Whether "cmd|sub" names a subcommand.
  std::function<bool(std::string_view, std::string_view)> is_subcommand;
};

// Redis 7.0's ACL categories, in ACL CAT order.
const std::vector<std::string_view>& AclCategories();

// Why a full check refused a command, as Redis's ACL_DENIED_*: the command itself, one of its
// keys (WATCH's: herald has no others) or one of its channels. Ordered as Redis ranks them when
// several selectors refuse for different reasons.
enum class AclDenied { kNone = 0, kCommand = 1, kKey = 2, kChannel = 4 };

// One set of key, channel and command rules: a user's root permissions, or one of its Redis 7
// selectors ("(~key &chan +cmd)"). A command is allowed when one selector allows the command and
// all of its channels together.
class AclSelector {
 public:
  explicit AclSelector(bool allchannels) : allchannels_(allchannels) {}

  // Applies one key, channel or command rule. Returns "" or Redis's reason; anything else
  // (on, >pass, ...) is a "Syntax error" here, as inside Redis's parentheses.
  std::string Apply(std::string_view rule, const AclCatalog& catalog);

  bool MayRun(std::string_view name, std::string_view sub, std::string_view categories) const;
  bool MayUseChannel(std::string_view channel, bool is_pattern) const;
  bool allchannels() const { return allchannels_; }
  // Whether some key pattern (whatever its R/W permissions) or allkeys matches `key`: what
  // Redis asks of the keys WATCH names, whose key spec requests neither read nor write.
  bool MatchesKeyPattern(std::string_view key) const;

  // ACL GETUSER's "commands", "keys" and "channels", and ACL LIST's text ("~a resetchannels &b
  // -@all +get").
  std::string DescribeCommands() const;
  std::string DescribeKeys() const;
  std::string DescribeChannels() const;
  std::string Describe() const;

 private:
  struct CommandRule {
    bool allow;
    std::string target;  // "publish", "client|list" or "@pubsub" (lower case)
  };
  struct KeyPattern {
    int flags;  // kRead | kWrite
    std::string pattern;
  };
  void AddCommandRule(bool allow, std::string target);

  bool allkeys_ = false;
  std::vector<KeyPattern> keys_;
  bool allchannels_ = false;
  std::vector<std::string> channels_;
  bool allcommands_ = false;
  std::vector<CommandRule> rules_;
};

class AclUser {
 public:
  explicit AclUser(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }

  // Applies one ACL SETUSER rule (a whole selector "(...)" is one rule: see
  // MergeSelectorArguments). Returns "" or Redis's reason ("Syntax error", ...).
  // `allchannels_default`: acl-pubsub-default is allchannels (what "reset" restores, and what a
  // new selector starts with).
  std::string Apply(std::string_view rule, const AclCatalog& catalog, bool allchannels_default);

  // Whether `password` is one of the user's (or the user is nopass); in constant time per hash.
  bool CheckPassword(std::string_view password) const;

  // Whether some selector lets the user run the command: `name` and its subcommand `sub` (""
  // for none), with their categories ("@pubsub @slow", the subcommand's when it has one).
  bool MayRun(std::string_view name, std::string_view sub, std::string_view categories) const;
  // Whether some selector grants the channel: a channel (SUBSCRIBE, PUBLISH) must match one of
  // its patterns; a pattern (PSUBSCRIBE) must be one of them literally, unless allchannels.
  bool MayUseChannel(std::string_view channel, bool is_pattern) const;
  // Redis's full check (ACLCheckAllUserCommandPerm): one selector must allow the command, all of
  // `keys` (MatchesKeyPattern) and all of `channels` (patterns when `is_pattern`). On a refusal
  // *denied_index is the key or channel that decided it (the furthest any selector got), for the
  // ACL LOG.
  AclDenied Check(std::string_view name, std::string_view sub, std::string_view categories,
                  std::span<const std::string_view> channels, bool is_pattern, size_t* denied_index,
                  std::span<const std::string_view> keys = {}) const;
  // Whether some selector has allchannels (then MayUseChannel refuses nothing).
  bool allchannels() const;

  // ACL LIST's line without "user <name> ", and the parts of ACL GETUSER (the root selector's).
  std::string Describe() const;
  std::vector<std::string> Flags() const;
  const std::vector<std::string>& password_hashes() const { return passwords_; }
  std::string DescribeCommands() const { return root_.DescribeCommands(); }
  std::string DescribeKeys() const { return root_.DescribeKeys(); }
  std::string DescribeChannels() const { return root_.DescribeChannels(); }
  // The selectors beyond the root, in the order added.
  const std::vector<AclSelector>& selectors() const { return selectors_; }

  // Bumped by every change (sessions re-check their subscriptions when it moves).
  uint64_t version() const { return version_; }

 private:
  std::string name_;
  bool enabled_ = false;
  bool nopass_ = false;
  bool sanitize_payload_ = false;
  bool skip_sanitize_payload_ = false;
  std::vector<std::string> passwords_;  // SHA-256 hex, in order added
  AclSelector root_{false};
  std::vector<AclSelector> selectors_;
  uint64_t version_ = 0;
};

// Redis's ACLMergeSelectorArguments: joins arguments that together spell one selector
// ("(~a", "+get)" -> "(~a +get)"). False, with *unmatched the argument that opened it, when a
// parenthesis is never closed.
bool MergeSelectorArguments(const std::vector<std::string_view>& args,
                            std::vector<std::string>* merged, std::string* unmatched);

// Redis's ACLStringHasSpaces: user names and patterns may hold no white space nor NUL.
bool AclHasSpaces(std::string_view text);

// The users, and the ACL LOG.
class AclStore {
 public:
  AclStore();

  // The user named `name`, or null.
  std::shared_ptr<AclUser> Find(std::string_view name) const;
  // Creates the user if needed and applies `rules` in order (ACL SETUSER). On a bad rule nothing
  // changes and *error is "ERR Error in ACL SETUSER modifier '<rule>': <reason>".
  bool SetUser(std::string_view name, const std::vector<std::string_view>& rules,
               const AclCatalog& catalog, std::string* error);
  // Removes a user (not "default"); returns it, or null if there was none.
  std::shared_ptr<AclUser> DeleteUser(std::string_view name);
  // Every user, by name.
  const std::map<std::string, std::shared_ptr<AclUser>, std::less<>>& users() const {
    return users_;
  }
  // Replaces every user at once (ACL LOAD, aclfile at start): all or nothing.
  void ReplaceAll(std::map<std::string, std::shared_ptr<AclUser>, std::less<>> users);
  // Parses "user <name> <rules...>" lines into users, without changing the store. For an ACL
  // file (`file` names it), false with every error in Redis's words (ACL LOAD's reply without
  // "ERR "); for redis.conf's user lines (`file` empty), false with the first ("line N: ...").
  bool ParseUserLines(std::string_view text, const AclCatalog& catalog,
                      std::map<std::string, std::shared_ptr<AclUser>, std::less<>>* users,
                      std::string* error, std::string_view file = {}) const;

  void set_allchannels_default(bool value) { allchannels_default_ = value; }
  bool allchannels_default() const { return allchannels_default_; }

  // ACL LOG: entries grouped as Redis groups them (same reason, context, object and user within
  // 60 s add to one entry's count), newest first, at most `max_len`.
  struct LogEntry {
    uint64_t count = 1;
    std::string reason;   // "auth", "command", "channel"
    std::string context;  // "toplevel", "multi"
    std::string object;
    std::string username;
    uint64_t created_ms = 0;
    uint64_t updated_ms = 0;
    std::string client_info;
  };
  void Log(LogEntry entry, uint64_t now_ms, size_t max_len);
  const std::deque<LogEntry>& log() const { return log_; }
  void ResetLog() { log_.clear(); }

 private:
  std::map<std::string, std::shared_ptr<AclUser>, std::less<>> users_;
  std::deque<LogEntry> log_;
  bool allchannels_default_ = false;
};

// SHA-256 of `password` as 64 lower-case hex digits (what "#<hash>" and ACL GETUSER show).
std::string AclPasswordHash(std::string_view password);

}  // namespace herald::broker
