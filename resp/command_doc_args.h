#pragma once

// The argument, history and tip arrays that command_doc_data.cc's entries point into, as Redis
// 7.0.15 replies them in COMMAND DOCS / COMMAND INFO. Included by command_doc_data.cc only.
// Arrays are defined before the arrays that nest them.

#include <string_view>

#include "resp/command_doc_data.h"

namespace herald::resp::doc_args {

inline constexpr DocHistory kAuthHistory[] = {
    {"6.0.0", "Added ACL style (username and password)."},
};

inline constexpr DocArg kAuthArgs[] = {
    {.name = "username", .type = DocArgType::kString, .since = "6.0.0", .flags = kArgOptional},
    {.name = "password", .type = DocArgType::kString},
};

inline constexpr std::string_view kClientInfoTips[] = {"nondeterministic_output"};

inline constexpr DocHistory kClientKillHistory[] = {
    {"2.8.12", "Added new filter format."},
    {"2.8.12", "`ID` option."},
    {"3.2.0", "Added `master` type in for `TYPE` option."},
    {"5.0.0",
     "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."},
    {"6.2.0", "`LADDR` option."},
};

inline constexpr DocArg kClientKillFilterNewFormatNormalMasterSlavePubsubArgs[] = {
    {.name = "normal", .type = DocArgType::kPureToken, .token = "NORMAL"},
    {.name = "master", .type = DocArgType::kPureToken, .token = "MASTER", .since = "3.2.0"},
    {.name = "slave", .type = DocArgType::kPureToken, .token = "SLAVE"},
    {.name = "replica", .type = DocArgType::kPureToken, .token = "REPLICA", .since = "5.0.0"},
    {.name = "pubsub", .type = DocArgType::kPureToken, .token = "PUBSUB"},
};

inline constexpr DocArg kClientKillFilterNewFormatArgs[] = {
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

inline constexpr DocArg kClientKillFilterArgs[] = {
    {.name = "ip:port", .type = DocArgType::kString, .deprecated_since = "2.8.12"},
    {.name = "new-format",
     .type = DocArgType::kOneOf,
     .flags = kArgMultiple,
     .args = kClientKillFilterNewFormatArgs},
};

inline constexpr DocArg kClientKillArgs[] = {
    {.name = "filter", .type = DocArgType::kOneOf, .args = kClientKillFilterArgs},
};

inline constexpr DocHistory kClientListHistory[] = {
    {"2.8.12", "Added unique client `id` field."},
    {"5.0.0", "Added optional `TYPE` filter."},
    {"6.0.0", "Added `user` field."},
    {"6.2.0",
     "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."},
    {"7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."},
    {"7.0.3", "Added `ssub` field."},
};

inline constexpr DocArg kClientListNormalMasterReplicaPubsubArgs[] = {
    {.name = "normal", .type = DocArgType::kPureToken, .token = "NORMAL"},
    {.name = "master", .type = DocArgType::kPureToken, .token = "MASTER"},
    {.name = "replica", .type = DocArgType::kPureToken, .token = "REPLICA"},
    {.name = "pubsub", .type = DocArgType::kPureToken, .token = "PUBSUB"},
};

inline constexpr DocArg kClientListIdArgs[] = {
    {.name = "client-id", .type = DocArgType::kInteger, .flags = kArgMultiple},
};

inline constexpr DocArg kClientListArgs[] = {
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

inline constexpr std::string_view kClientListTips[] = {"nondeterministic_output"};

inline constexpr DocArg kClientNoEvictEnabledArgs[] = {
    {.name = "on", .type = DocArgType::kPureToken, .token = "ON"},
    {.name = "off", .type = DocArgType::kPureToken, .token = "OFF"},
};

inline constexpr DocArg kClientNoEvictArgs[] = {
    {.name = "enabled", .type = DocArgType::kOneOf, .args = kClientNoEvictEnabledArgs},
};

inline constexpr DocArg kClientReplyOnOffSkipArgs[] = {
    {.name = "on", .type = DocArgType::kPureToken, .token = "ON"},
    {.name = "off", .type = DocArgType::kPureToken, .token = "OFF"},
    {.name = "skip", .type = DocArgType::kPureToken, .token = "SKIP"},
};

inline constexpr DocArg kClientReplyArgs[] = {
    {.name = "on_off_skip", .type = DocArgType::kOneOf, .args = kClientReplyOnOffSkipArgs},
};

inline constexpr DocArg kClientSetnameArgs[] = {
    {.name = "connection-name", .type = DocArgType::kString},
};

inline constexpr std::string_view kCommandTips[] = {"nondeterministic_output_order"};

inline constexpr DocArg kCommandDocsArgs[] = {
    {.name = "command-name", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

inline constexpr std::string_view kCommandDocsTips[] = {"nondeterministic_output_order"};

inline constexpr DocHistory kCommandInfoHistory[] = {
    {"7.0.0", "Allowed to be called with no argument to get info on all commands."},
};

inline constexpr DocArg kCommandInfoArgs[] = {
    {.name = "command-name", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

inline constexpr std::string_view kCommandInfoTips[] = {"nondeterministic_output_order"};

inline constexpr DocArg kCommandListFilterbyArgs[] = {
    {.name = "module-name", .type = DocArgType::kString, .token = "MODULE"},
    {.name = "category", .type = DocArgType::kString, .token = "ACLCAT"},
    {.name = "pattern", .type = DocArgType::kPattern, .token = "PATTERN"},
};

inline constexpr DocArg kCommandListArgs[] = {
    {.name = "filterby",
     .type = DocArgType::kOneOf,
     .token = "FILTERBY",
     .flags = kArgOptional,
     .args = kCommandListFilterbyArgs},
};

inline constexpr std::string_view kCommandListTips[] = {"nondeterministic_output_order"};

inline constexpr DocHistory kConfigGetHistory[] = {
    {"7.0.0", "Added the ability to pass multiple pattern parameters in one call"},
};

inline constexpr DocArg kConfigGetParameterArgs[] = {
    {.name = "parameter", .type = DocArgType::kString},
};

inline constexpr DocArg kConfigGetArgs[] = {
    {.name = "parameter",
     .type = DocArgType::kBlock,
     .flags = kArgMultiple,
     .args = kConfigGetParameterArgs},
};

inline constexpr DocHistory kConfigSetHistory[] = {
    {"7.0.0", "Added the ability to set multiple parameters in one call."},
};

inline constexpr DocArg kConfigSetParameterValueArgs[] = {
    {.name = "parameter", .type = DocArgType::kString},
    {.name = "value", .type = DocArgType::kString},
};

inline constexpr DocArg kConfigSetArgs[] = {
    {.name = "parameter_value",
     .type = DocArgType::kBlock,
     .flags = kArgMultiple,
     .args = kConfigSetParameterValueArgs},
};

inline constexpr std::string_view kConfigSetTips[] = {"request_policy:all_nodes",
                                                      "response_policy:all_succeeded"};

inline constexpr std::string_view kDbsizeTips[] = {"request_policy:all_shards",
                                                   "response_policy:agg_sum"};

inline constexpr DocArg kEchoArgs[] = {
    {.name = "message", .type = DocArgType::kString},
};

inline constexpr DocHistory kFlushallHistory[] = {
    {"4.0.0", "Added the `ASYNC` flushing mode modifier."},
    {"6.2.0", "Added the `SYNC` flushing mode modifier."},
};

inline constexpr DocArg kFlushallAsyncArgs[] = {
    {.name = "async", .type = DocArgType::kPureToken, .token = "ASYNC", .since = "4.0.0"},
    {.name = "sync", .type = DocArgType::kPureToken, .token = "SYNC", .since = "6.2.0"},
};

inline constexpr DocArg kFlushallArgs[] = {
    {.name = "async",
     .type = DocArgType::kOneOf,
     .flags = kArgOptional,
     .args = kFlushallAsyncArgs},
};

inline constexpr std::string_view kFlushallTips[] = {"request_policy:all_shards",
                                                     "response_policy:all_succeeded"};

inline constexpr DocHistory kFlushdbHistory[] = {
    {"4.0.0", "Added the `ASYNC` flushing mode modifier."},
    {"6.2.0", "Added the `SYNC` flushing mode modifier."},
};

inline constexpr DocArg kFlushdbAsyncArgs[] = {
    {.name = "async", .type = DocArgType::kPureToken, .token = "ASYNC", .since = "4.0.0"},
    {.name = "sync", .type = DocArgType::kPureToken, .token = "SYNC", .since = "6.2.0"},
};

inline constexpr DocArg kFlushdbArgs[] = {
    {.name = "async", .type = DocArgType::kOneOf, .flags = kArgOptional, .args = kFlushdbAsyncArgs},
};

inline constexpr std::string_view kFlushdbTips[] = {"request_policy:all_shards",
                                                    "response_policy:all_succeeded"};

inline constexpr DocArg kFunctionFlushAsyncArgs[] = {
    {.name = "async", .type = DocArgType::kPureToken, .token = "ASYNC"},
    {.name = "sync", .type = DocArgType::kPureToken, .token = "SYNC"},
};

inline constexpr DocArg kFunctionFlushArgs[] = {
    {.name = "async",
     .type = DocArgType::kOneOf,
     .flags = kArgOptional,
     .args = kFunctionFlushAsyncArgs},
};

inline constexpr std::string_view kFunctionFlushTips[] = {"request_policy:all_shards",
                                                          "response_policy:all_succeeded"};

inline constexpr DocHistory kHelloHistory[] = {
    {"6.2.0",
     "`protover` made optional; when called without arguments the command reports the current "
     "connection's context."},
};

inline constexpr DocArg kHelloArgumentsUsernamePasswordArgs[] = {
    {.name = "username", .type = DocArgType::kString},
    {.name = "password", .type = DocArgType::kString},
};

inline constexpr DocArg kHelloArgumentsArgs[] = {
    {.name = "protover", .type = DocArgType::kInteger},
    {.name = "username_password",
     .type = DocArgType::kBlock,
     .token = "AUTH",
     .flags = kArgOptional,
     .args = kHelloArgumentsUsernamePasswordArgs},
    {.name = "clientname", .type = DocArgType::kString, .token = "SETNAME", .flags = kArgOptional},
};

inline constexpr DocArg kHelloArgs[] = {
    {.name = "arguments",
     .type = DocArgType::kBlock,
     .flags = kArgOptional,
     .args = kHelloArgumentsArgs},
};

inline constexpr DocHistory kInfoHistory[] = {
    {"7.0.0", "Added support for taking multiple section arguments."},
};

inline constexpr DocArg kInfoArgs[] = {
    {.name = "section", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

inline constexpr std::string_view kInfoTips[] = {
    "nondeterministic_output", "request_policy:all_shards", "response_policy:special"};

inline constexpr DocArg kPingArgs[] = {
    {.name = "message", .type = DocArgType::kString, .flags = kArgOptional},
};

inline constexpr std::string_view kPingTips[] = {"request_policy:all_shards",
                                                 "response_policy:all_succeeded"};

inline constexpr DocArg kPsubscribePatternArgs[] = {
    {.name = "pattern", .type = DocArgType::kPattern},
};

inline constexpr DocArg kPsubscribeArgs[] = {
    {.name = "pattern",
     .type = DocArgType::kBlock,
     .flags = kArgMultiple,
     .args = kPsubscribePatternArgs},
};

inline constexpr DocArg kPsyncArgs[] = {
    {.name = "replicationid", .type = DocArgType::kString},
    {.name = "offset", .type = DocArgType::kInteger},
};

inline constexpr DocArg kPublishArgs[] = {
    {.name = "channel", .type = DocArgType::kString},
    {.name = "message", .type = DocArgType::kString},
};

inline constexpr DocArg kPubsubChannelsArgs[] = {
    {.name = "pattern", .type = DocArgType::kPattern, .flags = kArgOptional},
};

inline constexpr DocArg kPubsubNumsubArgs[] = {
    {.name = "channel", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

inline constexpr DocArg kPubsubShardchannelsArgs[] = {
    {.name = "pattern", .type = DocArgType::kPattern, .flags = kArgOptional},
};

inline constexpr DocArg kPubsubShardnumsubArgs[] = {
    {.name = "shardchannel", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

inline constexpr DocArg kPunsubscribeArgs[] = {
    {.name = "pattern", .type = DocArgType::kPattern, .flags = kArgOptional | kArgMultiple},
};

inline constexpr DocArg kReplicaofArgsHostPortArgs[] = {
    {.name = "host", .type = DocArgType::kString},
    {.name = "port", .type = DocArgType::kInteger},
};

inline constexpr DocArg kReplicaofArgsNoOneArgs[] = {
    {.name = "no", .type = DocArgType::kPureToken, .token = "NO"},
    {.name = "one", .type = DocArgType::kPureToken, .token = "ONE"},
};

inline constexpr DocArg kReplicaofArgsArgs[] = {
    {.name = "host-port", .type = DocArgType::kBlock, .args = kReplicaofArgsHostPortArgs},
    {.name = "no-one", .type = DocArgType::kBlock, .args = kReplicaofArgsNoOneArgs},
};

inline constexpr DocArg kReplicaofArgs[] = {
    {.name = "args", .type = DocArgType::kOneOf, .args = kReplicaofArgsArgs},
};

inline constexpr DocArg kSelectArgs[] = {
    {.name = "index", .type = DocArgType::kInteger},
};

inline constexpr DocHistory kShutdownHistory[] = {
    {"7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."},
};

inline constexpr DocArg kShutdownNosaveSaveArgs[] = {
    {.name = "nosave", .type = DocArgType::kPureToken, .token = "NOSAVE"},
    {.name = "save", .type = DocArgType::kPureToken, .token = "SAVE"},
};

inline constexpr DocArg kShutdownArgs[] = {
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

inline constexpr DocArg kSlaveofArgsHostPortArgs[] = {
    {.name = "host", .type = DocArgType::kString},
    {.name = "port", .type = DocArgType::kInteger},
};

inline constexpr DocArg kSlaveofArgsNoOneArgs[] = {
    {.name = "no", .type = DocArgType::kPureToken, .token = "NO"},
    {.name = "one", .type = DocArgType::kPureToken, .token = "ONE"},
};

inline constexpr DocArg kSlaveofArgsArgs[] = {
    {.name = "host-port", .type = DocArgType::kBlock, .args = kSlaveofArgsHostPortArgs},
    {.name = "no-one", .type = DocArgType::kBlock, .args = kSlaveofArgsNoOneArgs},
};

inline constexpr DocArg kSlaveofArgs[] = {
    {.name = "args", .type = DocArgType::kOneOf, .args = kSlaveofArgsArgs},
};

inline constexpr DocArg kSpublishArgs[] = {
    {.name = "shardchannel", .type = DocArgType::kString},
    {.name = "message", .type = DocArgType::kString},
};

inline constexpr std::string_view kSpublishKeySpecFlags[] = {"not_key"};

inline constexpr KeySpecDoc kSpublishKeySpecs[] = {
    {.flags = kSpublishKeySpecFlags,
     .begin_search = {.type = BeginSearchType::kIndex, .index = 1},
     .find_keys = {.type = FindKeysType::kRange, .lastkey = 0, .keystep = 1, .limit = 0}},
};

inline constexpr DocArg kSsubscribeArgs[] = {
    {.name = "shardchannel", .type = DocArgType::kString, .flags = kArgMultiple},
};

inline constexpr std::string_view kSsubscribeKeySpecFlags[] = {"not_key"};

inline constexpr KeySpecDoc kSsubscribeKeySpecs[] = {
    {.flags = kSsubscribeKeySpecFlags,
     .begin_search = {.type = BeginSearchType::kIndex, .index = 1},
     .find_keys = {.type = FindKeysType::kRange, .lastkey = -1, .keystep = 1, .limit = 0}},
};

inline constexpr DocArg kSubscribeArgs[] = {
    {.name = "channel", .type = DocArgType::kString, .flags = kArgMultiple},
};

inline constexpr DocArg kSunsubscribeArgs[] = {
    {.name = "shardchannel", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

inline constexpr std::string_view kSunsubscribeKeySpecFlags[] = {"not_key"};

inline constexpr KeySpecDoc kSunsubscribeKeySpecs[] = {
    {.flags = kSunsubscribeKeySpecFlags,
     .begin_search = {.type = BeginSearchType::kIndex, .index = 1},
     .find_keys = {.type = FindKeysType::kRange, .lastkey = -1, .keystep = 1, .limit = 0}},
};

inline constexpr std::string_view kTimeTips[] = {"nondeterministic_output"};

inline constexpr DocArg kUnsubscribeArgs[] = {
    {.name = "channel", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

inline constexpr DocArg kWaitArgs[] = {
    {.name = "numreplicas", .type = DocArgType::kInteger},
    {.name = "timeout", .type = DocArgType::kInteger},
};

inline constexpr DocArg kWatchArgs[] = {
    {.name = "key", .type = DocArgType::kKey, .key_spec_index = 0, .flags = kArgMultiple},
};

inline constexpr std::string_view kWatchKeySpecFlags[] = {"RO"};

inline constexpr KeySpecDoc kWatchKeySpecs[] = {
    {.flags = kWatchKeySpecFlags,
     .begin_search = {.type = BeginSearchType::kIndex, .index = 1},
     .find_keys = {.type = FindKeysType::kRange, .lastkey = -1, .keystep = 1, .limit = 0}},
};

inline constexpr std::string_view kWaitTips[] = {"request_policy:all_shards",
                                                 "response_policy:agg_min"};

inline constexpr DocArg kClientTrackingStatusArgs[] = {
    {.name = "on", .type = DocArgType::kPureToken, .token = "ON"},
    {.name = "off", .type = DocArgType::kPureToken, .token = "OFF"},
};

inline constexpr DocArg kClientTrackingArgs[] = {
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

inline constexpr DocArg kClientCachingModeArgs[] = {
    {.name = "yes", .type = DocArgType::kPureToken, .token = "YES"},
    {.name = "no", .type = DocArgType::kPureToken, .token = "NO"},
};

inline constexpr DocArg kClientCachingArgs[] = {
    {.name = "mode", .type = DocArgType::kOneOf, .args = kClientCachingModeArgs},
};

inline constexpr DocHistory kClientPauseHistory[] = {
    {"6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."}};

inline constexpr DocArg kClientPauseModeArgs[] = {
    {.name = "write", .type = DocArgType::kPureToken, .token = "WRITE"},
    {.name = "all", .type = DocArgType::kPureToken, .token = "ALL"},
};

inline constexpr DocArg kClientPauseArgs[] = {
    {.name = "timeout", .type = DocArgType::kInteger},
    {.name = "mode",
     .type = DocArgType::kOneOf,
     .since = "6.2.0",
     .flags = kArgOptional,
     .args = kClientPauseModeArgs},
};

inline constexpr DocArg kFailoverTargetArgs[] = {
    {.name = "host", .type = DocArgType::kString},
    {.name = "port", .type = DocArgType::kInteger},
    {.name = "force", .type = DocArgType::kPureToken, .token = "FORCE", .flags = kArgOptional},
};

inline constexpr DocArg kFailoverArgs[] = {
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
inline constexpr DocArg kAclCatArgs[] = {
    {.name = "categoryname", .type = DocArgType::kString, .flags = kArgOptional},
};

inline constexpr DocArg kAclDeluserArgs[] = {
    {.name = "username", .type = DocArgType::kString, .flags = kArgMultiple},
};

inline constexpr DocArg kAclDryrunArgs[] = {
    {.name = "username", .type = DocArgType::kString},
    {.name = "command", .type = DocArgType::kString},
    {.name = "arg", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

inline constexpr DocArg kAclGenpassArgs[] = {
    {.name = "bits", .type = DocArgType::kInteger, .flags = kArgOptional},
};

inline constexpr DocHistory kAclGetuserHistory[] = {
    {"6.2.0", "Added Pub/Sub channel patterns."},
    {"7.0.0",
     "Added selectors and changed the format of key and channel patterns from a list to their rule "
     "representation."},
};

inline constexpr DocArg kAclGetuserArgs[] = {
    {.name = "username", .type = DocArgType::kString},
};

inline constexpr DocArg kAclLogOperationArgs[] = {
    {.name = "count", .type = DocArgType::kInteger},
    {.name = "reset", .type = DocArgType::kPureToken, .token = "RESET"},
};

inline constexpr DocArg kAclLogArgs[] = {
    {.name = "operation",
     .type = DocArgType::kOneOf,
     .flags = kArgOptional,
     .args = kAclLogOperationArgs},
};

inline constexpr DocHistory kAclSetuserHistory[] = {
    {"6.2.0", "Added Pub/Sub channel patterns."},
    {"7.0.0", "Added selectors and key based permissions."},
};

inline constexpr DocArg kAclSetuserArgs[] = {
    {.name = "username", .type = DocArgType::kString},
    {.name = "rule", .type = DocArgType::kString, .flags = kArgOptional | kArgMultiple},
};

}  // namespace herald::resp::doc_args
