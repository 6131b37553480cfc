// Documentation data for COMMAND DOCS and COMMAND INFO. Every entry reproduces the data of Redis
// 7.0.15's own replies (`COMMAND DOCS <name>`, `COMMAND INFO <name>` over RESP3), field for field
// and in reply order, because redis-cli and client libraries build their hints, `help` pages and
// key routing from it. tests/integration/resp/test_command_docs.py compares herald's replies with a
// live redis-server's, so any drift here shows up there. Argument arrays are defined before the
// arrays that nest them.

#include "resp/command_doc_data.h"

#include <algorithm>
#include <string>

namespace herald::resp {
namespace {

constexpr DocHistory kAuthHistory[] = {
    {"6.0.0", "Added ACL style (username and password)."},
};

constexpr DocArg kAuthArgs[] = {
    {.name = "username", .type = DocArgType::kString, .since = "6.0.0", .flags = kArgOptional},
    {.name = "password", .type = DocArgType::kString},
};

constexpr std::string_view kClientInfoTips[] = {"nondeterministic_output"};

constexpr DocHistory kClientKillHistory[] = {
    {"2.8.12", "Added new filter format."},
    {"2.8.12", "`ID` option."},
    {"3.2.0", "Added `master` type in for `TYPE` option."},
    {"5.0.0",
     "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."},
    {"6.2.0", "`LADDR` option."},
};

constexpr DocArg kClientKillFilterNewFormatNormalMasterSlavePubsubArgs[] = {
    {.name = "normal", .type = DocArgType::kPureToken, .token = "NORMAL"},
    {.name = "master", .type = DocArgType::kPureToken, .token = "MASTER", .since = "3.2.0"},
    {.name = "slave", .type = DocArgType::kPureToken, .token = "SLAVE"},
    {.name = "replica", .type = DocArgType::kPureToken, .token = "REPLICA", .since = "5.0.0"},
    {.name = "pubsub", .type = DocArgType::kPureToken, .token = "PUBSUB"},
};

constexpr DocArg kClientKillFilterNewFormatArgs[] = {
    {.name = "client-id",
     .type = DocArgType::kInteger,
     .token = "ID",
     .since = "2.8.12",
     .flags = kArgOptional},
    {.name = "normal_master_slave_pubsub",
     .type = DocArgType::kOneOf,
     .token = "TYPE",
     .since = "2.8.12",
     .flags = kArgOptional,
     .args = kClientKillFilterNewFormatNormalMasterSlavePubsubArgs},
    {.name = "username", .type = DocArgType::kString, .token = "USER", .flags = kArgOptional},
    {.name = "ip:port", .type = DocArgType::kString, .token = "ADDR", .flags = kArgOptional},
    {.name = "ip:port",
     .type = DocArgType::kString,
     .token = "LADDR",
     .since = "6.2.0",
     .flags = kArgOptional},
    {.name = "yes/no", .type = DocArgType::kString, .token = "SKIPME", .flags = kArgOptional},
};

constexpr DocArg kClientKillFilterArgs[] = {
    {.name = "ip:port", .type = DocArgType::kString, .deprecated_since = "2.8.12"},
    {.name = "new-format",
     .type = DocArgType::kOneOf,
     .flags = kArgMultiple,
     .args = kClientKillFilterNewFormatArgs},
};

constexpr DocArg kClientKillArgs[] = {
    {.name = "filter", .type = DocArgType::kOneOf, .args = kClientKillFilterArgs},
};

constexpr DocHistory kClientListHistory[] = {
    {"2.8.12", "Added unique client `id` field."},
    {"5.0.0", "Added optional `TYPE` filter."},
    {"6.0.0", "Added `user` field."},
    {"6.2.0",
     "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."},
    {"7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."},
    {"7.0.3", "Added `ssub` field."},
};

constexpr DocArg kClientListNormalMasterReplicaPubsubArgs[] = {
    {.name = "normal", .type = DocArgType::kPureToken, .token = "NORMAL"},
    {.name = "master", .type = DocArgType::kPureToken, .token = "MASTER"},
    {.name = "replica", .type = DocArgType::kPureToken, .token = "REPLICA"},
    {.name = "pubsub", .type = DocArgType::kPureToken, .token = "PUBSUB"},
};

constexpr DocArg kClientListIdArgs[] = {
    {.name = "client-id", .type = DocArgType::kInteger, .flags = kArgMultiple},
};

constexpr DocArg kClientListArgs[] = {
    {.name = "normal_master_replica_pubsub",
     .type = DocArgType::kOneOf,
     .token = "TYPE",
     .since = "5.0.0",
     .flags = kArgOptional,
     .args = kClientListNormalMasterReplicaPubsubArgs},
    {.name = "id",
     .type = DocArgType::kBlock,
     .token = "ID",
     .since = "6.2.0",
     .flags = kArgOptional,
     .args = kClientListIdArgs},
};

constexpr std::string_view kClientListTips[] = {"nondeterministic_output"};

constexpr DocArg kClientNoEvictEnabledArgs[] = {
    {.name = "on", .type = DocArgType::kPureToken, .token = "ON"},
    {.name = "off", .type = DocArgType::kPureToken, .token = "OFF"},
};

constexpr DocArg kClientNoEvictArgs[] = {
    {.name = "enabled", .type = DocArgType::kOneOf, .args = kClientNoEvictEnabledArgs},
};

constexpr DocArg kClientReplyOnOffSkipArgs[] = {
    {.name = "on", .type = DocArgType::kPureToken, .token = "ON"},
    {.name = "off", .type = DocArgType::kPureToken, .token = "OFF"},
    {.name = "skip", .type = DocArgType::kPureToken, .token = "SKIP"},
};

constexpr DocArg kClientReplyArgs[] = {
    {.name = "on_off_skip", .type = DocArgType::kOneOf, .args = kClientReplyOnOffSkipArgs},
};

constexpr DocArg kClientSetnameArgs[] = {
    {.name = "connection-name", .type = DocArgType::kString},
};

constexpr std::string_view kCommandTips[] = {"nondeterministic_output_order"};

constexpr DocArg kCommandDocsArgs[] = {
    {.name = "command-name", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

constexpr std::string_view kCommandDocsTips[] = {"nondeterministic_output_order"};

constexpr DocHistory kCommandInfoHistory[] = {
    {"7.0.0", "Allowed to be called with no argument to get info on all commands."},
};

constexpr DocArg kCommandInfoArgs[] = {
    {.name = "command-name", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

constexpr std::string_view kCommandInfoTips[] = {"nondeterministic_output_order"};

constexpr DocArg kCommandListFilterbyArgs[] = {
    {.name = "module-name", .type = DocArgType::kString, .token = "MODULE"},
    {.name = "category", .type = DocArgType::kString, .token = "ACLCAT"},
    {.name = "pattern", .type = DocArgType::kPattern, .token = "PATTERN"},
};

constexpr DocArg kCommandListArgs[] = {
    {.name = "filterby",
     .type = DocArgType::kOneOf,
     .token = "FILTERBY",
     .flags = kArgOptional,
     .args = kCommandListFilterbyArgs},
};

constexpr std::string_view kCommandListTips[] = {"nondeterministic_output_order"};

constexpr DocHistory kConfigGetHistory[] = {
    {"7.0.0", "Added the ability to pass multiple pattern parameters in one call"},
};

constexpr DocArg kConfigGetParameterArgs[] = {
    {.name = "parameter", .type = DocArgType::kString},
};

constexpr DocArg kConfigGetArgs[] = {
    {.name = "parameter",
     .type = DocArgType::kBlock,
     .flags = kArgMultiple,
     .args = kConfigGetParameterArgs},
};

constexpr DocHistory kConfigSetHistory[] = {
    {"7.0.0", "Added the ability to set multiple parameters in one call."},
};

constexpr DocArg kConfigSetParameterValueArgs[] = {
    {.name = "parameter", .type = DocArgType::kString},
    {.name = "value", .type = DocArgType::kString},
};

constexpr DocArg kConfigSetArgs[] = {
    {.name = "parameter_value",
     .type = DocArgType::kBlock,
     .flags = kArgMultiple,
     .args = kConfigSetParameterValueArgs},
};

constexpr std::string_view kConfigSetTips[] = {"request_policy:all_nodes",
                                               "response_policy:all_succeeded"};

constexpr std::string_view kDbsizeTips[] = {"request_policy:all_shards", "response_policy:agg_sum"};

constexpr DocArg kEchoArgs[] = {
    {.name = "message", .type = DocArgType::kString},
};

constexpr DocHistory kFlushallHistory[] = {
    {"4.0.0", "Added the `ASYNC` flushing mode modifier."},
    {"6.2.0", "Added the `SYNC` flushing mode modifier."},
};

constexpr DocArg kFlushallAsyncArgs[] = {
    {.name = "async", .type = DocArgType::kPureToken, .token = "ASYNC", .since = "4.0.0"},
    {.name = "sync", .type = DocArgType::kPureToken, .token = "SYNC", .since = "6.2.0"},
};

constexpr DocArg kFlushallArgs[] = {
    {.name = "async",
     .type = DocArgType::kOneOf,
     .flags = kArgOptional,
     .args = kFlushallAsyncArgs},
};

constexpr std::string_view kFlushallTips[] = {"request_policy:all_shards",
                                              "response_policy:all_succeeded"};

constexpr DocHistory kFlushdbHistory[] = {
    {"4.0.0", "Added the `ASYNC` flushing mode modifier."},
    {"6.2.0", "Added the `SYNC` flushing mode modifier."},
};

constexpr DocArg kFlushdbAsyncArgs[] = {
    {.name = "async", .type = DocArgType::kPureToken, .token = "ASYNC", .since = "4.0.0"},
    {.name = "sync", .type = DocArgType::kPureToken, .token = "SYNC", .since = "6.2.0"},
};

constexpr DocArg kFlushdbArgs[] = {
    {.name = "async", .type = DocArgType::kOneOf, .flags = kArgOptional, .args = kFlushdbAsyncArgs},
};

constexpr std::string_view kFlushdbTips[] = {"request_policy:all_shards",
                                             "response_policy:all_succeeded"};

constexpr DocArg kFunctionFlushAsyncArgs[] = {
    {.name = "async", .type = DocArgType::kPureToken, .token = "ASYNC"},
    {.name = "sync", .type = DocArgType::kPureToken, .token = "SYNC"},
};

constexpr DocArg kFunctionFlushArgs[] = {
    {.name = "async",
     .type = DocArgType::kOneOf,
     .flags = kArgOptional,
     .args = kFunctionFlushAsyncArgs},
};

constexpr std::string_view kFunctionFlushTips[] = {"request_policy:all_shards",
                                                   "response_policy:all_succeeded"};

constexpr DocHistory kHelloHistory[] = {
    {"6.2.0",
     "`protover` made optional; when called without arguments the command reports the current "
     "connection's context."},
};

constexpr DocArg kHelloArgumentsUsernamePasswordArgs[] = {
    {.name = "username", .type = DocArgType::kString},
    {.name = "password", .type = DocArgType::kString},
};

constexpr DocArg kHelloArgumentsArgs[] = {
    {.name = "protover", .type = DocArgType::kInteger},
    {.name = "username_password",
     .type = DocArgType::kBlock,
     .token = "AUTH",
     .flags = kArgOptional,
     .args = kHelloArgumentsUsernamePasswordArgs},
    {.name = "clientname", .type = DocArgType::kString, .token = "SETNAME", .flags = kArgOptional},
};

constexpr DocArg kHelloArgs[] = {
    {.name = "arguments",
     .type = DocArgType::kBlock,
     .flags = kArgOptional,
     .args = kHelloArgumentsArgs},
};

constexpr DocHistory kInfoHistory[] = {
    {"7.0.0", "Added support for taking multiple section arguments."},
};

constexpr DocArg kInfoArgs[] = {
    {.name = "section", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

constexpr std::string_view kInfoTips[] = {"nondeterministic_output", "request_policy:all_shards",
                                          "response_policy:special"};

constexpr DocArg kPingArgs[] = {
    {.name = "message", .type = DocArgType::kString, .flags = kArgOptional},
};

constexpr std::string_view kPingTips[] = {"request_policy:all_shards",
                                          "response_policy:all_succeeded"};

constexpr DocArg kPsubscribePatternArgs[] = {
    {.name = "pattern", .type = DocArgType::kPattern},
};

constexpr DocArg kPsubscribeArgs[] = {
    {.name = "pattern",
     .type = DocArgType::kBlock,
     .flags = kArgMultiple,
     .args = kPsubscribePatternArgs},
};

constexpr DocArg kPsyncArgs[] = {
    {.name = "replicationid", .type = DocArgType::kString},
    {.name = "offset", .type = DocArgType::kInteger},
};

constexpr DocArg kPublishArgs[] = {
    {.name = "channel", .type = DocArgType::kString},
    {.name = "message", .type = DocArgType::kString},
};

constexpr DocArg kPubsubChannelsArgs[] = {
    {.name = "pattern", .type = DocArgType::kPattern, .flags = kArgOptional},
};

constexpr DocArg kPubsubNumsubArgs[] = {
    {.name = "channel", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

constexpr DocArg kPubsubShardchannelsArgs[] = {
    {.name = "pattern", .type = DocArgType::kPattern, .flags = kArgOptional},
};

constexpr DocArg kPubsubShardnumsubArgs[] = {
    {.name = "shardchannel", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

constexpr DocArg kPunsubscribeArgs[] = {
    {.name = "pattern", .type = DocArgType::kPattern, .flags = kArgOptional | kArgMultiple},
};

constexpr DocArg kReplicaofArgsHostPortArgs[] = {
    {.name = "host", .type = DocArgType::kString},
    {.name = "port", .type = DocArgType::kInteger},
};

constexpr DocArg kReplicaofArgsNoOneArgs[] = {
    {.name = "no", .type = DocArgType::kPureToken, .token = "NO"},
    {.name = "one", .type = DocArgType::kPureToken, .token = "ONE"},
};

constexpr DocArg kReplicaofArgsArgs[] = {
    {.name = "host-port", .type = DocArgType::kBlock, .args = kReplicaofArgsHostPortArgs},
    {.name = "no-one", .type = DocArgType::kBlock, .args = kReplicaofArgsNoOneArgs},
};

constexpr DocArg kReplicaofArgs[] = {
    {.name = "args", .type = DocArgType::kOneOf, .args = kReplicaofArgsArgs},
};

constexpr DocArg kSelectArgs[] = {
    {.name = "index", .type = DocArgType::kInteger},
};

constexpr DocHistory kShutdownHistory[] = {
    {"7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."},
};

constexpr DocArg kShutdownNosaveSaveArgs[] = {
    {.name = "nosave", .type = DocArgType::kPureToken, .token = "NOSAVE"},
    {.name = "save", .type = DocArgType::kPureToken, .token = "SAVE"},
};

constexpr DocArg kShutdownArgs[] = {
    {.name = "nosave_save",
     .type = DocArgType::kOneOf,
     .flags = kArgOptional,
     .args = kShutdownNosaveSaveArgs},
    {.name = "now",
     .type = DocArgType::kPureToken,
     .token = "NOW",
     .since = "7.0.0",
     .flags = kArgOptional},
    {.name = "force",
     .type = DocArgType::kPureToken,
     .token = "FORCE",
     .since = "7.0.0",
     .flags = kArgOptional},
    {.name = "abort",
     .type = DocArgType::kPureToken,
     .token = "ABORT",
     .since = "7.0.0",
     .flags = kArgOptional},
};

constexpr DocArg kSlaveofArgsHostPortArgs[] = {
    {.name = "host", .type = DocArgType::kString},
    {.name = "port", .type = DocArgType::kInteger},
};

constexpr DocArg kSlaveofArgsNoOneArgs[] = {
    {.name = "no", .type = DocArgType::kPureToken, .token = "NO"},
    {.name = "one", .type = DocArgType::kPureToken, .token = "ONE"},
};

constexpr DocArg kSlaveofArgsArgs[] = {
    {.name = "host-port", .type = DocArgType::kBlock, .args = kSlaveofArgsHostPortArgs},
    {.name = "no-one", .type = DocArgType::kBlock, .args = kSlaveofArgsNoOneArgs},
};

constexpr DocArg kSlaveofArgs[] = {
    {.name = "args", .type = DocArgType::kOneOf, .args = kSlaveofArgsArgs},
};

constexpr DocArg kSpublishArgs[] = {
    {.name = "shardchannel", .type = DocArgType::kString},
    {.name = "message", .type = DocArgType::kString},
};

constexpr std::string_view kSpublishKeySpecFlags[] = {"not_key"};

constexpr KeySpecDoc kSpublishKeySpecs[] = {
    {.flags = kSpublishKeySpecFlags,
     .begin_search = {.type = BeginSearchType::kIndex, .index = 1},
     .find_keys = {.type = FindKeysType::kRange, .lastkey = 0, .keystep = 1, .limit = 0}},
};

constexpr DocArg kSsubscribeArgs[] = {
    {.name = "shardchannel", .type = DocArgType::kString, .flags = kArgMultiple},
};

constexpr std::string_view kSsubscribeKeySpecFlags[] = {"not_key"};

constexpr KeySpecDoc kSsubscribeKeySpecs[] = {
    {.flags = kSsubscribeKeySpecFlags,
     .begin_search = {.type = BeginSearchType::kIndex, .index = 1},
     .find_keys = {.type = FindKeysType::kRange, .lastkey = -1, .keystep = 1, .limit = 0}},
};

constexpr DocArg kSubscribeArgs[] = {
    {.name = "channel", .type = DocArgType::kString, .flags = kArgMultiple},
};

constexpr DocArg kSunsubscribeArgs[] = {
    {.name = "shardchannel", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

constexpr std::string_view kSunsubscribeKeySpecFlags[] = {"not_key"};

constexpr KeySpecDoc kSunsubscribeKeySpecs[] = {
    {.flags = kSunsubscribeKeySpecFlags,
     .begin_search = {.type = BeginSearchType::kIndex, .index = 1},
     .find_keys = {.type = FindKeysType::kRange, .lastkey = -1, .keystep = 1, .limit = 0}},
};

constexpr std::string_view kTimeTips[] = {"nondeterministic_output"};

constexpr DocArg kUnsubscribeArgs[] = {
    {.name = "channel", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

constexpr DocArg kWaitArgs[] = {
    {.name = "numreplicas", .type = DocArgType::kInteger},
    {.name = "timeout", .type = DocArgType::kInteger},
};

constexpr DocArg kWatchArgs[] = {
    {.name = "key", .type = DocArgType::kKey, .key_spec_index = 0, .flags = kArgMultiple},
};

constexpr std::string_view kWatchKeySpecFlags[] = {"RO"};

constexpr KeySpecDoc kWatchKeySpecs[] = {
    {.flags = kWatchKeySpecFlags,
     .begin_search = {.type = BeginSearchType::kIndex, .index = 1},
     .find_keys = {.type = FindKeysType::kRange, .lastkey = -1, .keystep = 1, .limit = 0}},
};

constexpr std::string_view kWaitTips[] = {"request_policy:all_shards", "response_policy:agg_min"};

constexpr DocArg kClientTrackingStatusArgs[] = {
    {.name = "on", .type = DocArgType::kPureToken, .token = "ON"},
    {.name = "off", .type = DocArgType::kPureToken, .token = "OFF"},
};

constexpr DocArg kClientTrackingArgs[] = {
    {.name = "status", .type = DocArgType::kOneOf, .args = kClientTrackingStatusArgs},
    {.name = "client-id", .type = DocArgType::kInteger, .token = "REDIRECT", .flags = kArgOptional},
    {.name = "prefix",
     .type = DocArgType::kString,
     .token = "PREFIX",
     .flags = kArgOptional | kArgMultiple | kArgMultipleToken},
    {.name = "bcast", .type = DocArgType::kPureToken, .token = "BCAST", .flags = kArgOptional},
    {.name = "optin", .type = DocArgType::kPureToken, .token = "OPTIN", .flags = kArgOptional},
    {.name = "optout", .type = DocArgType::kPureToken, .token = "OPTOUT", .flags = kArgOptional},
    {.name = "noloop", .type = DocArgType::kPureToken, .token = "NOLOOP", .flags = kArgOptional},
};

constexpr DocArg kClientCachingModeArgs[] = {
    {.name = "yes", .type = DocArgType::kPureToken, .token = "YES"},
    {.name = "no", .type = DocArgType::kPureToken, .token = "NO"},
};

constexpr DocArg kClientCachingArgs[] = {
    {.name = "mode", .type = DocArgType::kOneOf, .args = kClientCachingModeArgs},
};

constexpr DocHistory kClientPauseHistory[] = {
    {"6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."}};

constexpr DocArg kClientPauseModeArgs[] = {
    {.name = "write", .type = DocArgType::kPureToken, .token = "WRITE"},
    {.name = "all", .type = DocArgType::kPureToken, .token = "ALL"},
};

constexpr DocArg kClientPauseArgs[] = {
    {.name = "timeout", .type = DocArgType::kInteger},
    {.name = "mode",
     .type = DocArgType::kOneOf,
     .since = "6.2.0",
     .flags = kArgOptional,
     .args = kClientPauseModeArgs},
};

constexpr DocArg kFailoverTargetArgs[] = {
    {.name = "host", .type = DocArgType::kString},
    {.name = "port", .type = DocArgType::kInteger},
    {.name = "force", .type = DocArgType::kPureToken, .token = "FORCE", .flags = kArgOptional},
};

constexpr DocArg kFailoverArgs[] = {
    {.name = "target",
     .type = DocArgType::kBlock,
     .token = "TO",
     .flags = kArgOptional,
     .args = kFailoverTargetArgs},
    {.name = "abort", .type = DocArgType::kPureToken, .token = "ABORT", .flags = kArgOptional},
    {.name = "milliseconds",
     .type = DocArgType::kInteger,
     .token = "TIMEOUT",
     .flags = kArgOptional},
};

// Sorted by name, for FindCommandDoc's binary search.
constexpr DocArg kAclCatArgs[] = {
    {.name = "categoryname", .type = DocArgType::kString, .flags = kArgOptional},
};

constexpr DocArg kAclDeluserArgs[] = {
    {.name = "username", .type = DocArgType::kString, .flags = kArgMultiple},
};

constexpr DocArg kAclDryrunArgs[] = {
    {.name = "username", .type = DocArgType::kString},
    {.name = "command", .type = DocArgType::kString},
    {.name = "arg", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

constexpr DocArg kAclGenpassArgs[] = {
    {.name = "bits", .type = DocArgType::kInteger, .flags = kArgOptional},
};

constexpr DocHistory kAclGetuserHistory[] = {
    {"6.2.0", "Added Pub/Sub channel patterns."},
    {"7.0.0",
     "Added selectors and changed the format of key and channel patterns from a list to their rule "
     "representation."},
};

constexpr DocArg kAclGetuserArgs[] = {
    {.name = "username", .type = DocArgType::kString},
};

constexpr DocArg kAclLogOperationArgs[] = {
    {.name = "count", .type = DocArgType::kInteger},
    {.name = "reset", .type = DocArgType::kPureToken, .token = "RESET"},
};

constexpr DocArg kAclLogArgs[] = {
    {.name = "operation",
     .type = DocArgType::kOneOf,
     .flags = kArgOptional,
     .args = kAclLogOperationArgs},
};

constexpr DocHistory kAclSetuserHistory[] = {
    {"6.2.0", "Added Pub/Sub channel patterns."},
    {"7.0.0", "Added selectors and key based permissions."},
};

constexpr DocArg kAclSetuserArgs[] = {
    {.name = "username", .type = DocArgType::kString},
    {.name = "rule", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

constexpr CommandDocEntry kEntries[] = {
    {.name = "acl",
     .summary = "A container for Access List Control commands ",
     .since = "6.0.0",
     .group = "server",
     .complexity = "Depends on subcommand."},
    {.name = "acl|cat",
     .summary = "List the ACL categories or the commands inside a category",
     .since = "6.0.0",
     .group = "server",
     .complexity = "O(1) since the categories and commands are a fixed set.",
     .args = kAclCatArgs},
    {.name = "acl|deluser",
     .summary = "Remove the specified ACL users and the associated rules",
     .since = "6.0.0",
     .group = "server",
     .complexity = "O(1) amortized time considering the typical user.",
     .args = kAclDeluserArgs},
    {.name = "acl|dryrun",
     .summary =
         "Returns whether the user can execute the given command without executing the command.",
     .since = "7.0.0",
     .group = "server",
     .complexity = "O(1).",
     .args = kAclDryrunArgs},
    {.name = "acl|genpass",
     .summary = "Generate a pseudorandom secure password to use for ACL users",
     .since = "6.0.0",
     .group = "server",
     .complexity = "O(1)",
     .args = kAclGenpassArgs},
    {.name = "acl|getuser",
     .summary = "Get the rules for a specific ACL user",
     .since = "6.0.0",
     .group = "server",
     .complexity =
         "O(N). Where N is the number of password, command and pattern rules that the user has.",
     .history = kAclGetuserHistory,
     .args = kAclGetuserArgs},
    {.name = "acl|help",
     .summary = "Show helpful text about the different subcommands",
     .since = "6.0.0",
     .group = "server",
     .complexity = "O(1)"},
    {.name = "acl|list",
     .summary = "List the current ACL rules in ACL config file format",
     .since = "6.0.0",
     .group = "server",
     .complexity = "O(N). Where N is the number of configured users."},
    {.name = "acl|load",
     .summary = "Reload the ACLs from the configured ACL file",
     .since = "6.0.0",
     .group = "server",
     .complexity = "O(N). Where N is the number of configured users."},
    {.name = "acl|log",
     .summary = "List latest events denied because of ACLs in place",
     .since = "6.0.0",
     .group = "server",
     .complexity = "O(N) with N being the number of entries shown.",
     .args = kAclLogArgs},
    {.name = "acl|save",
     .summary = "Save the current ACL rules in the configured ACL file",
     .since = "6.0.0",
     .group = "server",
     .complexity = "O(N). Where N is the number of configured users."},
    {.name = "acl|setuser",
     .summary = "Modify or create the rules for a specific ACL user",
     .since = "6.0.0",
     .group = "server",
     .complexity = "O(N). Where N is the number of rules provided.",
     .history = kAclSetuserHistory,
     .args = kAclSetuserArgs},
    {.name = "acl|users",
     .summary = "List the username of all the configured ACL rules",
     .since = "6.0.0",
     .group = "server",
     .complexity = "O(N). Where N is the number of configured users."},
    {.name = "acl|whoami",
     .summary = "Return the name of the user associated to the current connection",
     .since = "6.0.0",
     .group = "server",
     .complexity = "O(1)"},
    {.name = "auth",
     .summary = "Authenticate to the server",
     .since = "1.0.0",
     .group = "connection",
     .complexity = "O(N) where N is the number of passwords defined for the user",
     .history = kAuthHistory,
     .args = kAuthArgs},
    {.name = "client",
     .summary = "A container for client connection commands",
     .since = "2.4.0",
     .group = "connection",
     .complexity = "Depends on subcommand."},
    {.name = "client|caching",
     .summary = "Instruct the server about tracking or not keys in the next request",
     .since = "6.0.0",
     .group = "connection",
     .complexity = "O(1)",
     .args = kClientCachingArgs},
    {.name = "client|getname",
     .summary = "Get the current connection name",
     .since = "2.6.9",
     .group = "connection",
     .complexity = "O(1)"},
    {.name = "client|getredir",
     .summary = "Get tracking notifications redirection client ID if any",
     .since = "6.0.0",
     .group = "connection",
     .complexity = "O(1)"},
    {.name = "client|help",
     .summary = "Show helpful text about the different subcommands",
     .since = "5.0.0",
     .group = "connection",
     .complexity = "O(1)"},
    {.name = "client|id",
     .summary = "Returns the client ID for the current connection",
     .since = "5.0.0",
     .group = "connection",
     .complexity = "O(1)"},
    {.name = "client|info",
     .summary = "Returns information about the current client connection.",
     .since = "6.2.0",
     .group = "connection",
     .complexity = "O(1)",
     .tips = kClientInfoTips},
    {.name = "client|kill",
     .summary = "Kill the connection of a client",
     .since = "2.4.0",
     .group = "connection",
     .complexity = "O(N) where N is the number of client connections",
     .history = kClientKillHistory,
     .args = kClientKillArgs},
    {.name = "client|list",
     .summary = "Get the list of client connections",
     .since = "2.4.0",
     .group = "connection",
     .complexity = "O(N) where N is the number of client connections",
     .history = kClientListHistory,
     .args = kClientListArgs,
     .tips = kClientListTips},
    {.name = "client|no-evict",
     .summary = "Set client eviction mode for the current connection",
     .since = "7.0.0",
     .group = "connection",
     .complexity = "O(1)",
     .args = kClientNoEvictArgs},
    {.name = "client|pause",
     .summary = "Stop processing commands from clients for some time",
     .since = "2.9.50",
     .group = "connection",
     .complexity = "O(1)",
     .history = kClientPauseHistory,
     .args = kClientPauseArgs},
    {.name = "client|reply",
     .summary = "Instruct the server whether to reply to commands",
     .since = "3.2.0",
     .group = "connection",
     .complexity = "O(1)",
     .args = kClientReplyArgs},
    {.name = "client|setname",
     .summary = "Set the current connection name",
     .since = "2.6.9",
     .group = "connection",
     .complexity = "O(1)",
     .args = kClientSetnameArgs},
    {.name = "client|tracking",
     .summary = "Enable or disable server assisted client side caching support",
     .since = "6.0.0",
     .group = "connection",
     .complexity = "O(1). Some options may introduce additional complexity.",
     .args = kClientTrackingArgs},
    {.name = "client|trackinginfo",
     .summary =
         "Return information about server assisted client side caching for the current connection",
     .since = "6.2.0",
     .group = "connection",
     .complexity = "O(1)"},
    {.name = "client|unpause",
     .summary = "Resume processing of clients that were paused",
     .since = "6.2.0",
     .group = "connection",
     .complexity = "O(N) Where N is the number of paused clients"},
    {.name = "command",
     .summary = "Get array of Redis command details",
     .since = "2.8.13",
     .group = "server",
     .complexity = "O(N) where N is the total number of Redis commands",
     .tips = kCommandTips},
    {.name = "command|count",
     .summary = "Get total number of Redis commands",
     .since = "2.8.13",
     .group = "server",
     .complexity = "O(1)"},
    {.name = "command|docs",
     .summary = "Get array of specific Redis command documentation",
     .since = "7.0.0",
     .group = "server",
     .complexity = "O(N) where N is the number of commands to look up",
     .args = kCommandDocsArgs,
     .tips = kCommandDocsTips},
    {.name = "command|getkeys",
     .summary = "Extract keys given a full Redis command",
     .since = "2.8.13",
     .group = "server",
     .complexity = "O(N) where N is the number of arguments to the command"},
    {.name = "command|getkeysandflags",
     .summary = "Extract keys and access flags given a full Redis command",
     .since = "7.0.0",
     .group = "server",
     .complexity = "O(N) where N is the number of arguments to the command"},
    {.name = "command|help",
     .summary = "Show helpful text about the different subcommands",
     .since = "5.0.0",
     .group = "server",
     .complexity = "O(1)"},
    {.name = "command|info",
     .summary = "Get array of specific Redis command details, or all when no argument is given.",
     .since = "2.8.13",
     .group = "server",
     .complexity = "O(N) where N is the number of commands to look up",
     .history = kCommandInfoHistory,
     .args = kCommandInfoArgs,
     .tips = kCommandInfoTips},
    {.name = "command|list",
     .summary = "Get an array of Redis command names",
     .since = "7.0.0",
     .group = "server",
     .complexity = "O(N) where N is the total number of Redis commands",
     .args = kCommandListArgs,
     .tips = kCommandListTips},
    {.name = "config",
     .summary = "A container for server configuration commands",
     .since = "2.0.0",
     .group = "server",
     .complexity = "Depends on subcommand."},
    {.name = "config|get",
     .summary = "Get the values of configuration parameters",
     .since = "2.0.0",
     .group = "server",
     .complexity = "O(N) when N is the number of configuration parameters provided",
     .history = kConfigGetHistory,
     .args = kConfigGetArgs},
    {.name = "config|help",
     .summary = "Show helpful text about the different subcommands",
     .since = "5.0.0",
     .group = "server",
     .complexity = "O(1)"},
    {.name = "config|resetstat",
     .summary = "Reset the stats returned by INFO",
     .since = "2.0.0",
     .group = "server",
     .complexity = "O(1)"},
    {.name = "config|rewrite",
     .summary = "Rewrite the configuration file with the in memory configuration",
     .since = "2.8.0",
     .group = "server",
     .complexity = "O(1)"},
    {.name = "config|set",
     .summary = "Set configuration parameters to the given values",
     .since = "2.0.0",
     .group = "server",
     .complexity = "O(N) when N is the number of configuration parameters provided",
     .history = kConfigSetHistory,
     .args = kConfigSetArgs,
     .tips = kConfigSetTips},
    {.name = "dbsize",
     .summary = "Return the number of keys in the selected database",
     .since = "1.0.0",
     .group = "server",
     .complexity = "O(1)",
     .tips = kDbsizeTips},
    {.name = "debug",
     .summary = "A container for debugging commands",
     .since = "1.0.0",
     .group = "server",
     .complexity = "Depends on subcommand.",
     .doc_flags = kDocSysCmd},
    {.name = "discard",
     .summary = "Discard all commands issued after MULTI",
     .since = "2.0.0",
     .group = "transactions",
     .complexity = "O(N), when N is the number of queued commands"},
    {.name = "echo",
     .summary = "Echo the given string",
     .since = "1.0.0",
     .group = "connection",
     .complexity = "O(1)",
     .args = kEchoArgs},
    {.name = "exec",
     .summary = "Execute all commands issued after MULTI",
     .since = "1.2.0",
     .group = "transactions",
     .complexity = "Depends on commands in the transaction"},
    {.name = "failover",
     .summary = "Start a coordinated failover between this server and one of its replicas.",
     .since = "6.2.0",
     .group = "server",
     .complexity = "O(1)",
     .args = kFailoverArgs},
    {.name = "flushall",
     .summary = "Remove all keys from all databases",
     .since = "1.0.0",
     .group = "server",
     .complexity = "O(N) where N is the total number of keys in all databases",
     .history = kFlushallHistory,
     .args = kFlushallArgs,
     .tips = kFlushallTips},
    {.name = "flushdb",
     .summary = "Remove all keys from the current database",
     .since = "1.0.0",
     .group = "server",
     .complexity = "O(N) where N is the number of keys in the selected database",
     .history = kFlushdbHistory,
     .args = kFlushdbArgs,
     .tips = kFlushdbTips},
    {.name = "function",
     .summary = "A container for function commands",
     .since = "7.0.0",
     .group = "scripting",
     .complexity = "Depends on subcommand."},
    {.name = "function|flush",
     .summary = "Deleting all functions",
     .since = "7.0.0",
     .group = "scripting",
     .complexity = "O(N) where N is the number of functions deleted",
     .args = kFunctionFlushArgs,
     .tips = kFunctionFlushTips},
    {.name = "function|help",
     .summary = "Show helpful text about the different subcommands",
     .since = "7.0.0",
     .group = "scripting",
     .complexity = "O(1)"},
    {.name = "hello",
     .summary = "Handshake with Redis",
     .since = "6.0.0",
     .group = "connection",
     .complexity = "O(1)",
     .history = kHelloHistory,
     .args = kHelloArgs},
    {.name = "info",
     .summary = "Get information and statistics about the server",
     .since = "1.0.0",
     .group = "server",
     .complexity = "O(1)",
     .history = kInfoHistory,
     .args = kInfoArgs,
     .tips = kInfoTips},
    {.name = "monitor",
     .summary = "Listen for all requests received by the server in real time",
     .since = "1.0.0",
     .group = "server"},
    {.name = "multi",
     .summary = "Mark the start of a transaction block",
     .since = "1.2.0",
     .group = "transactions",
     .complexity = "O(1)"},
    {.name = "ping",
     .summary = "Ping the server",
     .since = "1.0.0",
     .group = "connection",
     .complexity = "O(1)",
     .args = kPingArgs,
     .tips = kPingTips},
    {.name = "psubscribe",
     .summary = "Listen for messages published to channels matching the given patterns",
     .since = "2.0.0",
     .group = "pubsub",
     .complexity = "O(N) where N is the number of patterns the client is already subscribed to.",
     .args = kPsubscribeArgs},
    {.name = "psync",
     .summary = "Internal command used for replication",
     .since = "2.8.0",
     .group = "server",
     .args = kPsyncArgs},
    {.name = "publish",
     .summary = "Post a message to a channel",
     .since = "2.0.0",
     .group = "pubsub",
     .complexity = "O(N+M) where N is the number of clients subscribed to the receiving channel "
                   "and M is the total number of subscribed patterns (by any client).",
     .args = kPublishArgs},
    {.name = "pubsub",
     .summary = "A container for Pub/Sub commands",
     .since = "2.8.0",
     .group = "pubsub",
     .complexity = "Depends on subcommand."},
    {.name = "pubsub|channels",
     .summary = "List active channels",
     .since = "2.8.0",
     .group = "pubsub",
     .complexity = "O(N) where N is the number of active channels, and assuming constant time "
                   "pattern matching (relatively short channels and patterns)",
     .args = kPubsubChannelsArgs},
    {.name = "pubsub|help",
     .summary = "Show helpful text about the different subcommands",
     .since = "6.2.0",
     .group = "pubsub",
     .complexity = "O(1)"},
    {.name = "pubsub|numpat",
     .summary = "Get the count of unique patterns pattern subscriptions",
     .since = "2.8.0",
     .group = "pubsub",
     .complexity = "O(1)"},
    {.name = "pubsub|numsub",
     .summary = "Get the count of subscribers for channels",
     .since = "2.8.0",
     .group = "pubsub",
     .complexity = "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
     .args = kPubsubNumsubArgs},
    {.name = "pubsub|shardchannels",
     .summary = "List active shard channels",
     .since = "7.0.0",
     .group = "pubsub",
     .complexity = "O(N) where N is the number of active shard channels, and assuming constant "
                   "time pattern matching (relatively short shard channels).",
     .args = kPubsubShardchannelsArgs},
    {.name = "pubsub|shardnumsub",
     .summary = "Get the count of subscribers for shard channels",
     .since = "7.0.0",
     .group = "pubsub",
     .complexity =
         "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
     .args = kPubsubShardnumsubArgs},
    {.name = "punsubscribe",
     .summary = "Stop listening for messages posted to channels matching the given patterns",
     .since = "2.0.0",
     .group = "pubsub",
     .complexity = "O(N+M) where N is the number of patterns the client is already subscribed and "
                   "M is the number of total patterns subscribed in the system (by any client).",
     .args = kPunsubscribeArgs},
    {.name = "quit",
     .summary = "Close the connection",
     .since = "1.0.0",
     .group = "connection",
     .complexity = "O(1)"},
    {.name = "replconf",
     .summary = "An internal command for configuring the replication stream",
     .since = "3.0.0",
     .group = "server",
     .complexity = "O(1)",
     .doc_flags = kDocSysCmd},
    {.name = "replicaof",
     .summary = "Make the server a replica of another instance, or promote it as master.",
     .since = "5.0.0",
     .group = "server",
     .complexity = "O(1)",
     .args = kReplicaofArgs},
    {.name = "reset",
     .summary = "Reset the connection",
     .since = "6.2.0",
     .group = "connection",
     .complexity = "O(1)"},
    {.name = "role",
     .summary = "Return the role of the instance in the context of replication",
     .since = "2.8.12",
     .group = "server",
     .complexity = "O(1)"},
    {.name = "select",
     .summary = "Change the selected database for the current connection",
     .since = "1.0.0",
     .group = "connection",
     .complexity = "O(1)",
     .args = kSelectArgs},
    {.name = "shutdown",
     .summary = "Synchronously save the dataset to disk and then shut down the server",
     .since = "1.0.0",
     .group = "server",
     .complexity = "O(N) when saving, where N is the total number of keys in all databases when "
                   "saving data, otherwise O(1)",
     .history = kShutdownHistory,
     .args = kShutdownArgs},
    {.name = "slaveof",
     .summary = "Make the server a replica of another instance, or promote it as master.",
     .since = "1.0.0",
     .group = "server",
     .complexity = "O(1)",
     .doc_flags = kDocDeprecated,
     .deprecated_since = "5.0.0",
     .replaced_by = "`REPLICAOF`",
     .args = kSlaveofArgs},
    {.name = "spublish",
     .summary = "Post a message to a shard channel",
     .since = "7.0.0",
     .group = "pubsub",
     .complexity =
         "O(N) where N is the number of clients subscribed to the receiving shard channel.",
     .args = kSpublishArgs,
     .key_specs = kSpublishKeySpecs,
     .legacy_range = {1, 1, 1}},
    {.name = "ssubscribe",
     .summary = "Listen for messages published to the given shard channels",
     .since = "7.0.0",
     .group = "pubsub",
     .complexity = "O(N) where N is the number of shard channels to subscribe to.",
     .args = kSsubscribeArgs,
     .key_specs = kSsubscribeKeySpecs,
     .legacy_range = {1, -1, 1}},
    {.name = "subscribe",
     .summary = "Listen for messages published to the given channels",
     .since = "2.0.0",
     .group = "pubsub",
     .complexity = "O(N) where N is the number of channels to subscribe to.",
     .args = kSubscribeArgs},
    {.name = "sunsubscribe",
     .summary = "Stop listening for messages posted to the given shard channels",
     .since = "7.0.0",
     .group = "pubsub",
     .complexity = "O(N) where N is the number of clients already subscribed to a shard channel.",
     .args = kSunsubscribeArgs,
     .key_specs = kSunsubscribeKeySpecs,
     .legacy_range = {1, -1, 1}},
    {.name = "sync",
     .summary = "Internal command used for replication",
     .since = "1.0.0",
     .group = "server"},
    {.name = "time",
     .summary = "Return the current server time",
     .since = "2.6.0",
     .group = "server",
     .complexity = "O(1)",
     .tips = kTimeTips},
    {.name = "unsubscribe",
     .summary = "Stop listening for messages posted to the given channels",
     .since = "2.0.0",
     .group = "pubsub",
     .complexity = "O(N) where N is the number of clients already subscribed to a channel.",
     .args = kUnsubscribeArgs},
    {.name = "unwatch",
     .summary = "Forget about all watched keys",
     .since = "2.2.0",
     .group = "transactions",
     .complexity = "O(1)"},
    {.name = "wait",
     .summary = "Wait for the synchronous replication of all the write commands sent in the "
                "context of the current connection",
     .since = "3.0.0",
     .group = "generic",
     .complexity = "O(1)",
     .args = kWaitArgs,
     .tips = kWaitTips},
    {.name = "watch",
     .summary = "Watch the given keys to determine execution of the MULTI/EXEC block",
     .since = "2.2.0",
     .group = "transactions",
     .complexity = "O(1) for every key.",
     .args = kWatchArgs,
     .key_specs = kWatchKeySpecs,
     .legacy_range = {1, -1, 1}},
};

static_assert(std::ranges::is_sorted(kEntries, {}, &CommandDocEntry::name),
              "kEntries must stay sorted for the binary search");

}  // namespace

std::string_view DocArgTypeName(DocArgType type) {
  switch (type) {
    case DocArgType::kString:
      return "string";
    case DocArgType::kInteger:
      return "integer";
    case DocArgType::kDouble:
      return "double";
    case DocArgType::kKey:
      return "key";
    case DocArgType::kPattern:
      return "pattern";
    case DocArgType::kUnixTime:
      return "unix-time";
    case DocArgType::kPureToken:
      return "pure-token";
    case DocArgType::kOneOf:
      return "oneof";
    case DocArgType::kBlock:
      return "block";
  }
  return "";
}

const CommandDocEntry* FindCommandDoc(std::string_view full_name) {
  // Names are stored in lower case; commands arrive in any case.
  std::string lower(full_name);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const auto* it =
      std::ranges::lower_bound(kEntries, std::string_view(lower), {}, &CommandDocEntry::name);
  if (it == std::end(kEntries) || it->name != lower) return nullptr;
  return it;
}

}  // namespace herald::resp
