// Connection-level commands: PING ECHO QUIT RESET HELLO AUTH SELECT and CLIENT.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/errors.h"
#include "protocol/numbers.h"
#include "resp/command_handlers.h"
#include "resp/front_end.h"
#include "resp/replication.h"
#include "resp/session.h"
#include "server/server.h"

namespace herald::resp {

using broker::SubKind;
using config::ClientClass;
using server::Connection;
using server::OutQueue;
using server::Server;
namespace {

using protocol::EqualsIgnoreCase;

// The version herald reports wherever Redis reports its own, so that clients which look at it
// pick their Redis 7.0 code paths.
constexpr std::string_view kRedisVersion = "7.0.15";

// Redis allows in client names and library attributes only printable ASCII without spaces.
bool ValidName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

// CLIENT LIST's flags=, in Redis 7.0's order (getClientInfoString).
std::string ClientFlags(const RespSession& client) {
  char flags[16];
  size_t n = 0;
  if (client.monitor()) flags[n++] = 'O';
  if (client.link_role() == LinkRole::kReplica) flags[n++] = 'S';
  if (client.link_role() == LinkRole::kMaster) flags[n++] = 'M';
  if (client.total_count() > 0) flags[n++] = 'P';
  if (client.in_multi()) flags[n++] = 'x';
  if (client.blocked() || client.postponed()) flags[n++] = 'b';
  if (client.tracking() != nullptr) flags[n++] = 't';
  if (client.tracking() != nullptr && client.tracking()->bcast) flags[n++] = 'B';
  if (client.close_after_reply()) flags[n++] = 'c';
  if (client.is_unix()) flags[n++] = 'U';
  if (client.no_evict()) flags[n++] = 'e';
  if (n == 0) flags[n++] = 'N';
  return std::string(flags, n);
}

// Client types of CLIENT LIST TYPE / CLIENT KILL TYPE. Returns false for an unknown name.
bool ParseClientType(std::string_view name, ClientClass* type, bool* is_master) {
  *is_master = false;
  if (EqualsIgnoreCase(name, "normal")) {
    *type = ClientClass::kNormal;
  } else if (EqualsIgnoreCase(name, "replica") || EqualsIgnoreCase(name, "slave")) {
    *type = ClientClass::kReplica;
  } else if (EqualsIgnoreCase(name, "pubsub")) {
    *type = ClientClass::kPubSub;
  } else if (EqualsIgnoreCase(name, "master")) {
    *type = ClientClass::kNormal;
    *is_master = true;
  } else {
    return false;
  }
  return true;
}

// CLIENT LIST/KILL TYPE: the link to our master is of type master only, as in Redis.
bool MatchesType(const RespSession& client, ClientClass type, bool want_master) {
  if (client.link_role() == LinkRole::kMaster) return want_master;
  return !want_master && client.output_class() == type;
}

// Every RESP client, ordered by id like Redis's client list.
std::vector<RespSession*> RespClients(Server& server) {
  std::vector<RespSession*> clients;
  for (Connection* connection : server.connections()) {
    if (auto* session = dynamic_cast<RespSession*>(connection)) clients.push_back(session);
  }
  std::sort(clients.begin(), clients.end(),
            [](RespSession* a, RespSession* b) { return a->id() < b->id(); });
  return clients;
}

// Whether one prefix starts the other (Redis's stringCheckPrefix): such prefixes overlap.
bool PrefixesOverlap(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}

}  // namespace

// One CLIENT LIST / CLIENT INFO line, with Redis 7's fields in Redis's order.
std::string ClientLine(RespSession& client) {
  Server& server = client.server();
  uint64_t now = server.now_ms();
  const OutQueue& out = client.output();
  size_t qbuf = client.query_buffer_bytes();
  size_t qbuf_free = client.input_capacity() > qbuf ? client.input_capacity() - qbuf : 0;
  size_t omem = out.bytes();
  size_t tot_mem = client.memory_usage();
  const Transaction* multi = client.transaction();
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} "
      "ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs=0 rbp=0 obl=0 oll={} "
      "omem={} tot-mem={} events={} cmd={} user={} redir={} resp={}\n",
      client.id(), client.peer(), client.local(), client.fd(), client.name(),
      (now - client.created_ms()) / 1000, (now - client.last_interaction_ms()) / 1000,
      ClientFlags(client), client.db(), client.count(SubKind::kChannel),
      client.count(SubKind::kPattern), client.count(SubKind::kShardChannel),
      multi != nullptr ? static_cast<int64_t>(multi->commands.size()) : -1, qbuf, qbuf_free,
      client.argv_bytes(), multi != nullptr ? multi->argv_len_sums : 0, out.pieces(), omem, tot_mem,
      out.empty() ? "r" : "rw", client.last_command(), client.user().name(),
      client.tracking() != nullptr ? client.tracking()->redirect : -1, client.resp());
}

void PingCommand(RespSession& client, CommandArgs args) {
  if (args.size() > 2) {
    ReplyArityError(client, "ping");
    return;
  }
  if (client.in_subscribed_context()) {
    // RESP2 subscribers get a pub/sub-shaped pong so they can tell it apart from messages.
    client.reply().ArrayHeader(2);
    client.reply().Bulk("pong");
    client.reply().Bulk(args.size() == 2 ? args[1] : std::string_view());
  } else if (args.size() == 2) {
    client.reply().Bulk(args[1]);
  } else {
    client.reply().SimpleString("PONG");
  }
}

void EchoCommand(RespSession& client, CommandArgs args) { client.reply().Bulk(args[1]); }

void QuitCommand(RespSession& client, CommandArgs /*args*/) {
  client.reply().SimpleString("OK");
  client.CloseAfterReplies();
}

void ResetCommand(RespSession& client, CommandArgs /*args*/) {
  client.Reset();
  client.reply().SimpleString("RESET");
}

void AuthCommand(RespSession& client, CommandArgs args) {
  if (args.size() > 3) {
    ReplyError(client, protocol::errors::kSyntax);
    return;
  }
  Server& server = client.server();
  std::string_view user = "default";
  std::string_view password = args[1];
  if (args.size() == 2 && server.acl().Find("default")->nopass()) {
    ReplyError(client, protocol::errors::kAuthNoPassword);
    return;
  }
  if (args.size() == 3) {
    user = args[1];
    password = args[2];
  }
  if (!AclAuthenticate(client, user, password)) {
    ++server.stats().acl_denied_auth;
    ReplyError(client, protocol::errors::kWrongPass);
    return;
  }
  client.reply().SimpleString("OK");
}

void HelloCommand(RespSession& client, CommandArgs args) {
  int64_t version = 0;
  if (args.size() >= 2) {
    if (!protocol::ParseInt64(args[1], &version)) {
      ReplyError(client, protocol::errors::kProtoVersionNotInt);
      return;
    }
    if (version < 2 || version > 3) {
      ReplyError(client, protocol::errors::kNoProto);
      return;
    }
  }
  const std::string_view* user = nullptr;
  const std::string_view* password = nullptr;
  const std::string_view* name = nullptr;
  for (size_t j = 2; j < args.size(); ++j) {
    size_t more = args.size() - j - 1;
    if (EqualsIgnoreCase(args[j], "AUTH") && more >= 2) {
      user = &args[j + 1];
      password = &args[j + 2];
      j += 2;
    } else if (EqualsIgnoreCase(args[j], "SETNAME") && more >= 1) {
      name = &args[j + 1];
      if (!ValidName(*name)) {
        ReplyError(client, protocol::errors::kClientNameSpaces);
        return;
      }
      j += 1;
    } else {
      ReplyError(client, fmt::format("ERR Syntax error in HELLO option '{}'", args[j]));
      return;
    }
  }
  if (user != nullptr) {
    if (!AclAuthenticate(client, *user, *password)) {
      ++client.server().stats().acl_denied_auth;
      ReplyError(client, protocol::errors::kWrongPass);
      return;
    }
  }
  if (!client.authenticated()) {
    ReplyError(client,
               "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
               "HELLO AUTH <user> <pass> option can be used to authenticate the client "
               "and select the RESP protocol version at the same time");
    return;
  }
  if (name != nullptr) client.set_name(std::string(*name));
  if (version != 0) client.set_resp(static_cast<int>(version));
  protocol::RespWriter& reply = client.reply();
  reply.MapHeader(7);
  reply.Bulk("server");
  reply.Bulk("redis");
  reply.Bulk("version");
  reply.Bulk(kRedisVersion);
  reply.Bulk("proto");
  reply.Integer(client.resp());
  reply.Bulk("id");
  reply.Integer(static_cast<int64_t>(client.id()));
  reply.Bulk("mode");
  reply.Bulk("standalone");
  reply.Bulk("role");
  reply.Bulk(client.front().replication().is_replica() ? "replica" : "master");
  reply.Bulk("modules");
  reply.ArrayHeader(0);
}

void SelectCommand(RespSession& client, CommandArgs args) {
  int64_t db = 0;
  if (!protocol::ParseInt64(args[1], &db)) {
    ReplyError(client, protocol::errors::kNotInteger);
    return;
  }
  if (db < 0 || db >= client.server().config().databases) {
    ReplyError(client, protocol::errors::kDbIndexOutOfRange);
    return;
  }
  client.set_db(static_cast<int>(db));
  client.reply().SimpleString("OK");
}

void ClientIdCommand(RespSession& client, CommandArgs /*args*/) {
  client.reply().Integer(static_cast<int64_t>(client.id()));
}

void ClientSetNameCommand(RespSession& client, CommandArgs args) {
  if (!ValidName(args[2])) {
    ReplyError(client, protocol::errors::kClientNameSpaces);
    return;
  }
  client.set_name(std::string(args[2]));
  client.reply().SimpleString("OK");
}

void ClientGetNameCommand(RespSession& client, CommandArgs /*args*/) {
  if (client.name().empty()) {
    client.reply().Null();
  } else {
    client.reply().Bulk(client.name());
  }
}

void ClientInfoCommand(RespSession& client, CommandArgs /*args*/) {
  client.reply().Verbatim(ClientLine(client));
}

void ClientListCommand(RespSession& client, CommandArgs args) {
  Server& server = client.server();
  bool filter_type = false;
  ClientClass type = ClientClass::kNormal;
  bool want_master = false;
  std::vector<uint64_t> ids;
  if (args.size() == 4 && EqualsIgnoreCase(args[2], "type")) {
    if (!ParseClientType(args[3], &type, &want_master)) {
      ReplyError(client, fmt::format("ERR Unknown client type '{}'", args[3]));
      return;
    }
    filter_type = true;
  } else if (args.size() >= 4 && EqualsIgnoreCase(args[2], "id")) {
    for (size_t i = 3; i < args.size(); ++i) {
      int64_t id = 0;
      if (!protocol::ParseInt64(args[i], &id) || id <= 0) {
        ReplyError(client, "ERR Invalid client ID");
        return;
      }
      ids.push_back(static_cast<uint64_t>(id));
    }
  } else if (args.size() != 2) {
    ReplyError(client, protocol::errors::kSyntax);
    return;
  }
  std::string text;
  for (RespSession* other : RespClients(server)) {
    if (filter_type && !MatchesType(*other, type, want_master)) continue;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), other->id()) == ids.end()) continue;
    text += ClientLine(*other);
  }
  client.reply().Verbatim(text);
}

void ClientKillCommand(RespSession& client, CommandArgs args) {
  Server& server = client.server();
  std::vector<RespSession*> victims;
  if (args.size() == 3) {
    // Old form: CLIENT KILL addr:port.
    for (RespSession* other : RespClients(server)) {
      if (other->peer() == args[2]) victims.push_back(other);
    }
    if (victims.empty()) {
      ReplyError(client, protocol::errors::kNoSuchClient);
      return;
    }
    client.reply().SimpleString("OK");
  } else {
    // New form: filters combined with AND; SKIPME defaults to yes.
    bool skip_me = true;
    int64_t id = 0;
    bool by_type = false;
    bool want_master = false;
    ClientClass type = ClientClass::kNormal;
    std::string_view addr, laddr, user;
    for (size_t i = 2; i < args.size(); i += 2) {
      if (i + 1 >= args.size()) {
        ReplyError(client, protocol::errors::kSyntax);
        return;
      }
      std::string_view key = args[i];
      std::string_view value = args[i + 1];
      if (EqualsIgnoreCase(key, "id")) {
        if (!protocol::ParseInt64(value, &id) || id <= 0) {
          ReplyError(client, "ERR client-id should be greater than 0");
          return;
        }
      } else if (EqualsIgnoreCase(key, "type")) {
        if (!ParseClientType(value, &type, &want_master)) {
          ReplyError(client, fmt::format("ERR Unknown client type '{}'", value));
          return;
        }
        by_type = true;
      } else if (EqualsIgnoreCase(key, "addr")) {
        addr = value;
      } else if (EqualsIgnoreCase(key, "laddr")) {
        laddr = value;
      } else if (EqualsIgnoreCase(key, "user")) {
        user = value;
      } else if (EqualsIgnoreCase(key, "skipme")) {
        if (EqualsIgnoreCase(value, "yes")) {
          skip_me = true;
        } else if (EqualsIgnoreCase(value, "no")) {
          skip_me = false;
        } else {
          ReplyError(client, protocol::errors::kSyntax);
          return;
        }
      } else {
        ReplyError(client, protocol::errors::kSyntax);
        return;
      }
    }
    if (!user.empty() && user != "default") {
      ReplyError(client, fmt::format("ERR No such user '{}'", user));
      return;
    }
    for (RespSession* other : RespClients(server)) {
      if (id != 0 && other->id() != static_cast<uint64_t>(id)) continue;
      if (by_type && !MatchesType(*other, type, want_master)) continue;
      if (!addr.empty() && other->peer() != addr) continue;
      if (!laddr.empty() && other->local() != laddr) continue;
      if (skip_me && other == &client) continue;
      victims.push_back(other);
    }
    client.reply().Integer(static_cast<int64_t>(victims.size()));
  }
  for (RespSession* victim : victims) {
    if (victim == &client) {
      client.CloseAfterReplies();  // the reply above still goes out
    } else {
      victim->CloseAsap("by CLIENT KILL");
    }
  }
}

void ClientReplyCommand(RespSession& client, CommandArgs args) {
  if (EqualsIgnoreCase(args[2], "on")) {
    client.set_reply_mode(ReplyMode::kOn);
    client.reply().SimpleString("OK");
  } else if (EqualsIgnoreCase(args[2], "off")) {
    client.set_reply_mode(ReplyMode::kOff);
  } else if (EqualsIgnoreCase(args[2], "skip")) {
    if (client.reply_mode() == ReplyMode::kOn) client.set_reply_mode(ReplyMode::kSkipNext);
  } else {
    ReplyError(client, protocol::errors::kSyntax);
  }
}

void ClientNoEvictCommand(RespSession& client, CommandArgs args) {
  if (EqualsIgnoreCase(args[2], "on") || EqualsIgnoreCase(args[2], "off")) {
    client.set_no_evict(EqualsIgnoreCase(args[2], "on"));
    client.reply().SimpleString("OK");
  } else {
    ReplyError(client, protocol::errors::kSyntax);
  }
}

void ClientHelpCommand(RespSession& client, CommandArgs /*args*/) {
  // Redis 7.0.15's text, without the UNBLOCK herald does not have.
  static constexpr std::string_view kLines[] = {
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR",
      "    Return the client ID we are redirecting to when tracking is enabled.",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]",
      "    Control server assisted client side caching.",
      "TRACKINGINFO",
      "    Report tracking status for the current connection.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
  };
  ReplyHelp(client, "client", kLines);
}

// CLIENT TRACKING (ON|OFF) [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP]:
// Redis's checks and errors in Redis's order (networking.c); nothing is ever invalidated.
void ClientTrackingCommand(RespSession& client, CommandArgs args) {
  int64_t redirect = 0;
  bool bcast = false, optin = false, optout = false, noloop = false;
  std::vector<std::string_view> prefixes;
  for (size_t j = 3; j < args.size(); ++j) {
    bool more = j + 1 < args.size();
    if (EqualsIgnoreCase(args[j], "redirect") && more) {
      ++j;
      if (redirect != 0) {
        ReplyError(client, "ERR A client can only redirect to a single other client");
        return;
      }
      if (!protocol::ParseInt64(args[j], &redirect)) {
        ReplyError(client, protocol::errors::kNotInteger);
        return;
      }
      bool found = false;
      for (RespSession* other : RespClients(client.server())) {
        found = found || (redirect > 0 && other->id() == static_cast<uint64_t>(redirect));
      }
      if (!found) {
        ReplyError(client, "ERR The client ID you want redirect to does not exist");
        return;
      }
    } else if (EqualsIgnoreCase(args[j], "bcast")) {
      bcast = true;
    } else if (EqualsIgnoreCase(args[j], "optin")) {
      optin = true;
    } else if (EqualsIgnoreCase(args[j], "optout")) {
      optout = true;
    } else if (EqualsIgnoreCase(args[j], "noloop")) {
      noloop = true;
    } else if (EqualsIgnoreCase(args[j], "prefix") && more) {
      prefixes.push_back(args[++j]);
    } else {
      ReplyError(client, protocol::errors::kSyntax);
      return;
    }
  }
  if (EqualsIgnoreCase(args[2], "off")) {
    client.DisableTracking();
    client.reply().SimpleString("OK");
    return;
  }
  if (!EqualsIgnoreCase(args[2], "on")) {
    ReplyError(client, protocol::errors::kSyntax);
    return;
  }
  const TrackingState* now = client.tracking();
  if (!bcast && !prefixes.empty()) {
    ReplyError(client, "ERR PREFIX option requires BCAST mode to be enabled");
    return;
  }
  if (now != nullptr && now->bcast != bcast) {
    ReplyError(client,
               "ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
               "and then re-enabling it with a different mode.");
    return;
  }
  if (bcast && (optin || optout)) {
    ReplyError(client, "ERR OPTIN and OPTOUT are not compatible with BCAST");
    return;
  }
  if (optin && optout) {
    ReplyError(client, "ERR You can't specify both OPTIN mode and OPTOUT mode");
    return;
  }
  if (now != nullptr && ((optin && now->optout) || (optout && now->optin))) {
    ReplyError(client,
               "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
               "and then re-enabling it with a different mode.");
    return;
  }
  if (bcast) {
    for (size_t i = 0; i < prefixes.size(); ++i) {
      if (now != nullptr) {
        for (const std::string& existing : now->prefixes) {
          if (PrefixesOverlap(existing, prefixes[i])) {
            ReplyError(client, fmt::format("ERR Prefix '{}' overlaps with an existing prefix "
                                           "'{}'. Prefixes for a single client must not overlap.",
                                           prefixes[i], existing));
            return;
          }
        }
      }
      for (size_t j = i + 1; j < prefixes.size(); ++j) {
        if (PrefixesOverlap(prefixes[i], prefixes[j])) {
          ReplyError(client, fmt::format("ERR Prefix '{}' overlaps with another provided prefix "
                                         "'{}'. Prefixes for a single client must not overlap.",
                                         prefixes[i], prefixes[j]));
          return;
        }
      }
    }
  }
  // Re-enabling keeps the BCAST prefixes and replaces the other options (enableTracking()).
  TrackingState& state = client.EnableTracking();
  state.redirect = redirect;
  state.bcast = bcast;
  state.optin = optin;
  state.optout = optout;
  state.noloop = noloop;
  if (bcast && prefixes.empty()) state.prefixes.emplace();
  for (std::string_view prefix : prefixes) state.prefixes.emplace(prefix);
  client.reply().SimpleString("OK");
}

void ClientCachingCommand(RespSession& client, CommandArgs args) {
  TrackingState* state = client.tracking();
  if (state == nullptr) {
    ReplyError(client,
               "ERR CLIENT CACHING can be called only when the client is in tracking mode with "
               "OPTIN or OPTOUT mode enabled");
    return;
  }
  if (EqualsIgnoreCase(args[2], "yes")) {
    if (!state->optin) {
      ReplyError(client,
                 "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
      return;
    }
  } else if (EqualsIgnoreCase(args[2], "no")) {
    if (!state->optout) {
      ReplyError(client,
                 "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
      return;
    }
  } else {
    ReplyError(client, protocol::errors::kSyntax);
    return;
  }
  state->caching = true;
  client.reply().SimpleString("OK");
}

void ClientGetRedirCommand(RespSession& client, CommandArgs /*args*/) {
  client.reply().Integer(client.tracking() != nullptr ? client.tracking()->redirect : -1);
}

void ClientTrackingInfoCommand(RespSession& client, CommandArgs /*args*/) {
  const TrackingState* state = client.tracking();
  std::vector<std::string_view> flags;
  flags.push_back(state != nullptr ? "on" : "off");
  if (state != nullptr) {
    if (state->bcast) flags.push_back("bcast");
    if (state->optin) flags.push_back("optin");
    if (state->optin && state->caching) flags.push_back("caching-yes");
    if (state->optout) flags.push_back("optout");
    if (state->optout && state->caching) flags.push_back("caching-no");
    if (state->noloop) flags.push_back("noloop");
  }
  protocol::RespWriter& reply = client.reply();
  reply.MapHeader(3);
  reply.Bulk("flags");
  reply.SetHeader(flags.size());
  for (std::string_view flag : flags) reply.Bulk(flag);
  reply.Bulk("redirect");
  reply.Integer(state != nullptr ? state->redirect : -1);
  reply.Bulk("prefixes");
  reply.ArrayHeader(state != nullptr ? state->prefixes.size() : 0);
  if (state != nullptr) {
    for (const std::string& prefix : state->prefixes) reply.Bulk(prefix);
  }
}

// CLIENT PAUSE <timeout> [WRITE|ALL]: the mode is checked first, then the timeout, as Redis does.
void ClientPauseCommand(RespSession& client, CommandArgs args) {
  if (args.size() > 4) {
    ReplyError(client, fmt::format("ERR unknown subcommand or wrong number of arguments for "
                                   "'{}'. Try CLIENT HELP.",
                                   args[1].substr(0, 128)));
    return;
  }
  PauseType type = PauseType::kAll;
  if (args.size() == 4) {
    if (EqualsIgnoreCase(args[3], "write")) {
      type = PauseType::kWrite;
    } else if (!EqualsIgnoreCase(args[3], "all")) {
      ReplyError(client, "ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  }
  int64_t timeout = 0;
  if (!protocol::ParseInt64(args[2], &timeout)) {
    ReplyError(client, "ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0) {
    ReplyError(client, "ERR timeout is negative");
    return;
  }
  // Redis adds the timeout to its unix time in milliseconds; a sum that overflows wraps into the
  // past, so such a pause ends at once.
  auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  uint64_t now = client.server().now_ms();
  client.front().Pause(PausePurpose::kClientCommand,
                       timeout > INT64_MAX - unix_ms ? 0 : now + static_cast<uint64_t>(timeout),
                       type);
  client.reply().SimpleString("OK");
}

void ClientUnpauseCommand(RespSession& client, CommandArgs /*args*/) {
  client.front().Unpause(PausePurpose::kClientCommand);
  client.reply().SimpleString("OK");
}

// MONITOR: a replica cannot become a monitor, and a monitor gets no second +OK (Redis returns
// silently for both).
void MonitorCommand(RespSession& client, CommandArgs /*args*/) {
  // A client inside EXEC expects one reply per command (Redis's CLIENT_DENY_BLOCKING).
  if (client.in_exec()) {
    ReplyError(client, "ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  if (client.monitor() || client.link_role() != LinkRole::kClient) return;
  client.StartMonitor();
  client.reply().SimpleString("OK");
}

}  // namespace herald::resp
