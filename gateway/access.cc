// Who a gateway client is and what it may do: the publish token, browser tokens (JWT), the
// origin check, and the per-connection subscription limit. The rules, by gateway-auth mode:
//
//   off       no JWTs are looked at. Anyone may subscribe; publishing needs an address in
//             gateway-publish-from or the publish token, and a channel in
//             gateway-publish-channels.
//   optional  a valid token's grants decide; without one, subscriptions are limited to
//             gateway-anonymous-channels and publishing follows the rules of "off".
//   required  (auto with requirepass set) every subscribe and publish needs a valid token, or
//             the publish token; an address in gateway-publish-from alone is not enough.
// A token that does not verify is refused (401) in every mode but off, never ignored.

#include <fmt/format.h>

#include "config/address_rule.h"
#include "gateway/gateway.h"
#include "gateway/internal.h"
#include "protocol/glob.h"
#include "protocol/numbers.h"
#include "protocol/secrets.h"
#include "protocol/sse.h"
#include "server/logging.h"
#include "server/server.h"

namespace herald::gateway {

using broker::ChannelGrants;
using config::Config;
using config::LogLevel;
using gateway_detail::Dump;
using gateway_detail::FindParam;
using gateway_detail::Json;
using AuthMode = GatewayAuth::Mode;
using server::Log;

namespace {

// The token of a request: "Authorization: Bearer <token>" (scheme in any case), else the
// `token` query parameter (EventSource and WebSocket cannot set headers). Empty if none.
std::string_view RequestToken(const protocol::HttpRequest& request,
                              const std::vector<protocol::QueryParam>& params) {
  std::string_view header = request.Header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() > kBearer.size() &&
      protocol::EqualsIgnoreCase(header.substr(0, kBearer.size()), kBearer)) {
    std::string_view token = header.substr(kBearer.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    return token;
  }
  if (const std::string* value = FindParam(params, "token"); value != nullptr) return *value;
  return {};
}

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The address of a Forwarded element's for= parameter (RFC 7239): for=192.0.2.1,
// for="[2001:db8::1]:4711", for="192.0.2.1:80". Empty when there is none.
std::string ForwardedFor(std::string_view element) {
  while (!element.empty()) {
    size_t semicolon = element.find(';');
    std::string_view pair = Trimmed(element.substr(0, semicolon));
    element =
        semicolon == std::string_view::npos ? std::string_view() : element.substr(semicolon + 1);
    if (pair.size() < 4 || !protocol::EqualsIgnoreCase(pair.substr(0, 4), "for=")) continue;
    std::string_view value = pair.substr(4);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (!value.empty() && value.front() == '[') {
      size_t close = value.find(']');
      return close == std::string_view::npos ? std::string()
                                             : std::string(value.substr(1, close - 1));
    }
    return std::string(value.substr(0, value.find(':')));  // IPv4, maybe with a port
  }
  return {};
}

const ChannelGrants& AllGrants() {
  static const ChannelGrants kAll = ChannelGrants::All();
  return kAll;
}

}  // namespace

bool Gateway::ApplyAuthConfig(bool starting, std::string* error) {
  anonymous_grants_.subscribe = server_->config().gateway_anonymous_channels;
  std::string warning;
  bool ok = starting ? auth_.Configure(server_->config(), error, &warning)
                     : auth_.Reconfigure(server_->config(), error, &warning);
  if (!ok) {
    if (!starting)
      Log(LogLevel::kWarning, "Gateway tokens: {} (keeping the previous keys)", *error);
    return false;
  }
  if (!warning.empty()) Log(LogLevel::kWarning, "Gateway: {}", warning);
  return true;
}

bool GatewayConnection::UseToken(std::string_view token, TokenRefusal* refusal) {
  protocol::JwtError error = protocol::JwtError::kOk;
  std::shared_ptr<const GatewayAuth::Identity> identity =
      gateway_->auth().Verify(token, UnixNow(), &error);
  if (identity == nullptr) {
    *refusal = {protocol::JwtErrorName(error), protocol::JwtErrorMessage(error)};
    return false;
  }
  if (!identity->acl_user.empty()) {
    std::shared_ptr<broker::AclUser> user = server_->acl().Find(identity->acl_user);
    if (user == nullptr || !user->enabled()) {
      ++gateway_->auth().counters().unknown_user;
      *refusal = {"unknown_user", "the token's ACL user does not exist or is disabled"};
      return false;
    }
  }
  identity_ = std::move(identity);
  return true;
}

bool GatewayConnection::IdentityMay(bool publish, std::string_view name, bool pattern) const {
  const GatewayAuth::Identity& id = *identity_;
  const broker::ChannelGrants& grants = id.grants;
  if (id.acl_user.empty()) {
    return publish ? grants.MayPublish(name)
                   : (pattern ? grants.MayPSubscribe(name) : grants.MaySubscribe(name));
  }
  std::shared_ptr<broker::AclUser> user = server_->acl().Find(id.acl_user);
  if (user == nullptr || !user->enabled()) return false;
  // The categories of these commands in Redis 7.0 (resp/commands.cc has the same).
  std::string_view command = publish ? "publish" : (pattern ? "psubscribe" : "subscribe");
  const std::string_view channel[] = {name};
  if (user->Check(command, {}, publish ? "@pubsub @fast" : "@pubsub @slow", channel, pattern,
                  nullptr) != broker::AclDenied::kNone) {
    return false;
  }
  const std::vector<std::string>& own = publish ? grants.publish : grants.subscribe;
  if (own.empty()) return true;
  return publish ? grants.MayPublish(name)
                 : (pattern ? grants.MayPSubscribe(name) : grants.MaySubscribe(name));
}

bool GatewayConnection::Authenticate(const std::vector<protocol::QueryParam>& params) {
  // Each request of a keep-alive connection speaks for itself.
  identity_.reset();
  publish_token_ = false;
  std::string_view token = RequestToken(reader_->request(), params);
  if (token.empty()) return true;
  const std::string& publish_token = server_->config().gateway_publish_token;
  if (!publish_token.empty() && protocol::SecretEquals(token, publish_token)) {
    publish_token_ = true;
    return true;
  }
  if (gateway_->auth().mode() == AuthMode::kOff) return true;  // not the publish token: no meaning
  TokenRefusal refusal;
  if (UseToken(token, &refusal)) return true;
  Log(LogLevel::kVerbose, "Gateway token from {} refused: {}", peer(), refusal.name);
  std::string body = Dump({{"error", refusal.message}, {"reason", refusal.name}});
  Respond(401, "application/json", body,
          fmt::format("WWW-Authenticate: Bearer error=\"invalid_token\", "
                      "error_description=\"{}\"\r\n",
                      refusal.message),
          reader_->request().upgrade);
  return false;
}

const ChannelGrants& GatewayConnection::subscribe_grants() const {
  static const ChannelGrants kNone;
  if (publish_token_) return AllGrants();
  if (identity_ != nullptr) return identity_->grants;
  switch (gateway_->auth().mode()) {
    case AuthMode::kOff:
      return AllGrants();
    case AuthMode::kRequired:
      return kNone;
    case AuthMode::kOptional:
      break;
  }
  return gateway_->anonymous_grants();
}

int GatewayConnection::SubscribeStatus(const std::vector<std::string>& channels,
                                       const std::vector<std::string>& patterns, std::string* why,
                                       bool adding) {
  size_t limit = static_cast<size_t>(server_->config().gateway_max_subscriptions);
  if (adding && channel_and_pattern_count() + channels.size() + patterns.size() > limit) {
    *why = fmt::format("too many subscriptions (gateway-max-subscriptions is {})", limit);
    return 400;
  }
  GatewayAuth& auth = gateway_->auth();
  if (!publish_token_ && identity_ == nullptr && auth.mode() == AuthMode::kRequired) {
    ++auth.counters().missing;
    *why = "a token is required";
    return 401;
  }
  const ChannelGrants& grants = subscribe_grants();
  bool by_identity = identity_ != nullptr && !publish_token_;
  for (const std::string& channel : channels) {
    if (by_identity ? !IdentityMay(false, channel, false) : !grants.MaySubscribe(channel)) {
      ++auth.counters().forbidden_subscribe;
      *why = fmt::format("subscribing to channel '{}' is not allowed", channel);
      return 403;
    }
  }
  for (const std::string& pattern : patterns) {
    if (by_identity ? !IdentityMay(false, pattern, true) : !grants.MayPSubscribe(pattern)) {
      ++auth.counters().forbidden_subscribe;
      *why = fmt::format("subscribing to pattern '{}' is not allowed", pattern);
      return 403;
    }
  }
  return 0;
}

broker::PublishForwarder* GatewayConnection::ActiveForwarder() const {
  broker::PublishForwarder* forwarder = server_->broker().forwarder();
  return forwarder != nullptr && forwarder->active() ? forwarder : nullptr;
}

int GatewayConnection::PublishStatus(std::string_view channel, std::string* why) {
  GatewayAuth& auth = gateway_->auth();
  const Config& cfg = server_->config();
  bool channel_open = ChannelAllowed(channel);
  if (identity_ != nullptr && IdentityMay(true, channel, false)) return 0;
  bool required = auth.mode() == AuthMode::kRequired;
  // The rules that predate tokens: the publish token, or an address of gateway-publish-from
  // (not enough where tokens are required), for a channel of gateway-publish-channels.
  bool legacy =
      publish_token_ || (!required && config::AddressAllowed(cfg.gateway_publish_from, ClientIp()));
  if (legacy && channel_open) return 0;
  if (required && identity_ == nullptr && !publish_token_) {
    ++auth.counters().missing;
    *why = "a token is required";
    return 401;
  }
  ++auth.counters().forbidden_publish;
  *why = legacy || identity_ != nullptr ? "publishing to this channel is not allowed"
                                        : "publishing not allowed";
  return 403;
}

void GatewayConnection::RespondRefusal(int status, std::string_view why, bool close) {
  std::string headers;
  if (status == 401) headers = "WWW-Authenticate: Bearer\r\n";
  Respond(status, "application/json", Dump({{"error", why}}), headers, close);
}

bool GatewayConnection::OriginPermitted() const {
  const std::string* origin = reader_->request().FindHeader("Origin");
  if (origin == nullptr) return true;
  if (!server_->config().gateway_cors_origins.empty()) return OriginAllowed(*origin);
  // Same origin: scheme://host[:port] naming the Host this request was sent to.
  std::string_view host = reader_->request().Header("Host");
  if (host.empty()) return false;
  // The scheme is part of the origin: a page served over http is not the https gateway's.
  std::string_view text = *origin;
  std::string_view scheme = is_tls() ? "https://" : "http://";
  return text.size() > scheme.size() &&
         protocol::EqualsIgnoreCase(text.substr(0, scheme.size()), scheme) &&
         protocol::EqualsIgnoreCase(text.substr(scheme.size()), host);
}

std::string GatewayConnection::ClientIp() const {
  std::string_view peer_ip = config::PeerIp(peer());
  const Config& cfg = server_->config();
  if (reader_ == nullptr || cfg.gateway_trusted_proxies.empty() ||
      !config::AddressAllowed(cfg.gateway_trusted_proxies, peer_ip)) {
    return std::string(peer_ip);
  }
  // The hops, nearest last: every header line, each a comma-separated list.
  std::vector<std::string> hops;
  bool forwarded = cfg.gateway_proxy_header == "forwarded";
  for (const protocol::HttpHeader& header : reader_->request().headers) {
    if (!protocol::EqualsIgnoreCase(header.name, forwarded ? "Forwarded" : "X-Forwarded-For")) {
      continue;
    }
    std::string_view rest = header.value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      hops.push_back(forwarded ? ForwardedFor(item) : std::string(Trimmed(item)));
    }
  }
  // From the nearest hop back, skip our own proxies; the first other one is the client. A hop
  // that is not an IP address (unknown, obfuscated, garbage) ends the walk: it stands for a
  // client we cannot name, and the proxy's own address is used.
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!config::IsAddressRule(*it) || *it == "*" || it->find('/') != std::string::npos) break;
    if (!config::AddressAllowed(cfg.gateway_trusted_proxies, *it)) return *it;
  }
  return std::string(peer_ip);
}

bool GatewayConnection::MetricsPermitted(const std::vector<protocol::QueryParam>& params) const {
  if (config::AddressAllowed(server_->config().gateway_metrics_from, ClientIp())) return true;
  const std::string& publish_token = server_->config().gateway_publish_token;
  std::string_view token = RequestToken(reader_->request(), params);
  return !publish_token.empty() && !token.empty() && protocol::SecretEquals(token, publish_token);
}

bool GatewayConnection::ExpireToken(int64_t now) {
  if (identity_ == nullptr || identity_->expires_at == 0 || now < identity_->expires_at) {
    return false;
  }
  ++gateway_->auth().counters().expired_connections;
  Log(LogLevel::kVerbose, "Gateway client {}: token expired", peer());
  identity_.reset();
  switch (mode_) {
    case Mode::kSse: {
      std::string event;
      protocol::AppendSseEvent(
          {.event = "error", .data = Dump({{"error", "token expired"}, {"code", 401}})}, &event);
      Queue(event);
      server_->broker().UnsubscribeAll(this);
      mode_ = Mode::kDone;
      CloseAfterReply();
      return true;
    }
    case Mode::kWebSocket:
      SendWsClose(kWsCloseTokenExpired, "token expired");
      return true;
    default:
      // An HTTP keep-alive connection just forgets the token; a waiting long-poll was given a
      // deadline no later than the expiry (HandlePoll) and has been answered.
      return false;
  }
}

}  // namespace herald::gateway
