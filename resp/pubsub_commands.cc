// SUBSCRIBE and friends, PUBLISH, SPUBLISH and PUBSUB: thin adapters from RESP to the broker.

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "resp/command_handlers.h"
#include "resp/forwarding.h"
#include "resp/front_end.h"
#include "resp/replication.h"
#include "resp/session.h"
#include "server/server.h"

namespace herald::resp {

using broker::Broker;
using broker::SubKind;
using server::Server;
namespace {

std::string_view SubscribeVerb(SubKind kind) {
  switch (kind) {
    case SubKind::kChannel:
      return "subscribe";
    case SubKind::kPattern:
      return "psubscribe";
    case SubKind::kShardChannel:
      return "ssubscribe";
  }
  return "";
}

std::string_view UnsubscribeVerb(SubKind kind) {
  switch (kind) {
    case SubKind::kChannel:
      return "unsubscribe";
    case SubKind::kPattern:
      return "punsubscribe";
    case SubKind::kShardChannel:
      return "sunsubscribe";
  }
  return "";
}

// The count Redis puts in an ack: shard channels are counted apart from channels + patterns.
size_t AckCount(const RespSession& client, SubKind kind) {
  return kind == SubKind::kShardChannel ? client.count(SubKind::kShardChannel)
                                        : client.channel_and_pattern_count();
}

// Queues one `[verb, name-or-null, count]` push.
void PushAck(RespSession& client, std::string_view verb, const std::string_view* name,
             size_t count) {
  std::string frame;
  protocol::RespWriter writer(&frame, client.resp());
  writer.PushHeader(3);
  writer.Bulk(verb);
  if (name != nullptr) {
    writer.Bulk(*name);
  } else {
    writer.Null();
  }
  writer.Integer(static_cast<int64_t>(count));
  client.Push(frame);
}

void SubscribeGeneric(RespSession& client, CommandArgs args, SubKind kind) {
  // Redis 7.0 lets SUBSCRIBE and PSUBSCRIBE run inside EXEC (for old clients) but not SSUBSCRIBE.
  if (kind == SubKind::kShardChannel && client.in_exec()) {
    ReplyError(client, "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    return;
  }
  Broker& broker = client.server().broker();
  for (size_t i = 1; i < args.size(); ++i) {
    broker.Subscribe(&client, kind, args[i]);
    PushAck(client, SubscribeVerb(kind), &args[i], AckCount(client, kind));
  }
}

void UnsubscribeGeneric(RespSession& client, CommandArgs args, SubKind kind) {
  Broker& broker = client.server().broker();
  if (args.size() == 1) {
    std::vector<std::string> names = broker.Names(&client, kind);
    if (names.empty()) {
      PushAck(client, UnsubscribeVerb(kind), nullptr, AckCount(client, kind));
      return;
    }
    for (const std::string& name : names) {
      broker.Unsubscribe(&client, kind, name);
      std::string_view view = name;
      PushAck(client, UnsubscribeVerb(kind), &view, AckCount(client, kind));
    }
    return;
  }
  for (size_t i = 1; i < args.size(); ++i) {
    broker.Unsubscribe(&client, kind, args[i]);
    PushAck(client, UnsubscribeVerb(kind), &args[i], AckCount(client, kind));
  }
}

void ReplyNames(RespSession& client, const std::vector<std::string_view>& names) {
  client.reply().ArrayHeader(names.size());
  for (std::string_view name : names) client.reply().Bulk(name);
}

void ReplyNumsub(RespSession& client, CommandArgs args, SubKind kind) {
  // A flat array of name, count pairs in both protocols, as Redis 7.0 answers.
  client.reply().ArrayHeader(2 * (args.size() - 2));
  for (size_t i = 2; i < args.size(); ++i) {
    client.reply().Bulk(args[i]);
    client.reply().Integer(static_cast<int64_t>(client.server().broker().NumSub(kind, args[i])));
  }
}

}  // namespace

void SubscribeCommand(RespSession& client, CommandArgs args) {
  SubscribeGeneric(client, args, SubKind::kChannel);
}
void PSubscribeCommand(RespSession& client, CommandArgs args) {
  SubscribeGeneric(client, args, SubKind::kPattern);
}
void SSubscribeCommand(RespSession& client, CommandArgs args) {
  SubscribeGeneric(client, args, SubKind::kShardChannel);
}
void UnsubscribeCommand(RespSession& client, CommandArgs args) {
  UnsubscribeGeneric(client, args, SubKind::kChannel);
}
void PUnsubscribeCommand(RespSession& client, CommandArgs args) {
  UnsubscribeGeneric(client, args, SubKind::kPattern);
}
void SUnsubscribeCommand(RespSession& client, CommandArgs args) {
  UnsubscribeGeneric(client, args, SubKind::kShardChannel);
}

namespace {

// The master's own errors keep their code (NOPERM ...); ours are ERR.
std::string ErrorLine(std::string_view error) {
  const size_t space = error.find(' ');
  const std::string_view code = error.substr(0, space);
  const bool has_code =
      space != std::string_view::npos && !code.empty() &&
      std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  return has_code ? std::string(error) : "ERR " + std::string(error);
}

// On a replica, with `replica-publish forward` (or on the forward connection of a replica below
// us, which wants the message to reach the top), the publish goes to our master: the client is
// blocked until the master's receiver count comes back, and the message reaches this node's
// subscribers through the replication stream, not here (resp/forwarding.h).
bool ForwardPublish(RespSession& client, SubKind kind, CommandArgs args) {
  Server& server = client.server();
  broker::PublishForwarder* forwarder = server.broker().forwarder();
  if (forwarder == nullptr || !forwarder->active()) return false;
  if (server.config().replica_publish != "forward" && client.name() != kForwardClientName) {
    return false;
  }
  // Inside EXEC nothing may block (Redis's DENY_BLOCKING), and going local would be silent.
  if (client.in_exec()) {
    ReplyError(client, "ERR publish cannot be forwarded inside MULTI");
    return true;
  }
  // The reply waits for the master's; later commands of this client may run meanwhile (a
  // pipeline of publishes is forwarded as one), their replies queued behind it.
  broker::PublishForwarder::Done done;
  uint64_t slot = 0;
  const bool silent = client.reply_mode() != ReplyMode::kOn;  // CLIENT REPLY OFF / SKIP
  if (!silent) {
    slot = client.ReserveReply();
    done = [&client, slot](const broker::PublishForwarder::Result& r) {
      client.FillReply(slot, r.error.empty() ? fmt::format(":{}\r\n", r.receivers)
                                             : fmt::format("-{}\r\n", ErrorLine(r.error)));
    };
  }
  std::string error = forwarder->Forward(kind, args[1], args[2], false, &client, std::move(done));
  if (!error.empty()) {
    if (!silent) client.FillReply(slot, {});
    ReplyError(client, "ERR " + error);
  }
  return true;
}

}  // namespace

// args[0] goes along so that the replication stream carries the command as the client spelled
// it; the offset after it is what this client's WAIT waits for.
void PublishCommand(RespSession& client, CommandArgs args) {
  if (ForwardPublish(client, SubKind::kChannel, args)) return;
  Server& server = client.server();
  int64_t receivers = server.broker().Publish(SubKind::kChannel, args[1], args[2], args[0]);
  client.set_write_offset(client.front().replication().master_repl_offset());
  client.reply().Integer(receivers);
}

void SPublishCommand(RespSession& client, CommandArgs args) {
  if (ForwardPublish(client, SubKind::kShardChannel, args)) return;
  Server& server = client.server();
  int64_t receivers = server.broker().Publish(SubKind::kShardChannel, args[1], args[2], args[0]);
  client.set_write_offset(client.front().replication().master_repl_offset());
  client.reply().Integer(receivers);
}

// PUBSUB CHANNELS and SHARDCHANNELS take at most one pattern; more is refused with the old-style
// subcommand error Redis 7.0 still uses there.
bool CheckPatternArgs(RespSession& client, CommandArgs args) {
  if (args.size() <= 3) return true;
  ReplyError(client, fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. "
                                 "Try PUBSUB HELP.",
                                 args[1]));
  return false;
}

void PubsubChannelsCommand(RespSession& client, CommandArgs args) {
  if (!CheckPatternArgs(client, args)) return;
  const std::string_view* pattern = args.size() >= 3 ? &args[2] : nullptr;
  ReplyNames(client, client.server().broker().Channels(SubKind::kChannel, pattern));
}

void PubsubShardChannelsCommand(RespSession& client, CommandArgs args) {
  if (!CheckPatternArgs(client, args)) return;
  const std::string_view* pattern = args.size() >= 3 ? &args[2] : nullptr;
  ReplyNames(client, client.server().broker().Channels(SubKind::kShardChannel, pattern));
}

void PubsubNumsubCommand(RespSession& client, CommandArgs args) {
  ReplyNumsub(client, args, SubKind::kChannel);
}

void PubsubShardNumsubCommand(RespSession& client, CommandArgs args) {
  ReplyNumsub(client, args, SubKind::kShardChannel);
}

void PubsubNumpatCommand(RespSession& client, CommandArgs /*args*/) {
  client.reply().Integer(static_cast<int64_t>(client.server().broker().NumPat()));
}

void PubsubHelpCommand(RespSession& client, CommandArgs /*args*/) {
  static constexpr std::string_view kLines[] = {
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
  };
  ReplyHelp(client, "pubsub", kLines);
}

}  // namespace herald::resp
