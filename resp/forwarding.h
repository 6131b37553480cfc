#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "broker/broker.h"
#include "resp/session.h"

namespace herald::resp {

class PublishForwarding;
class ReplicationManager;

// A plain client connection from this replica to its master (the replicaof address, AUTH with
// masteruser/masterauth, TLS with tls-replication) that carries forwarded PUBLISH commands. It
// names itself herald-forward, so that a Herald relay in the middle of a chain forwards what it
// receives on it further up whatever its own replica-publish says.
class ForwardConnection final : public RespSession {
 public:
  ForwardConnection(RespFrontEnd* front, uint64_t id, PublishForwarding* forwarding);
  bool idle_timeout_applies() const override { return false; }

 protected:
  size_t ProcessInput(std::string_view data) override;

 private:
  PublishForwarding* forwarding_;
};

// The name the forward connection gives itself (CLIENT SETNAME).
inline constexpr std::string_view kForwardClientName = "herald-forward";

// Publishing from a replica (see README "Publishing on a replica"). The design, chosen because it
// works the same with a Herald or a redis-server master and needs nothing new on the master:
//
//  - the replica sends a plain PUBLISH / SPUBLISH on its forward connection and does not deliver
//    the message itself; the master publishes it, so it enters the replication stream and comes
//    back to this node (and every other) from there, in the master's order;
//  - the master's replies come back on that connection in the order sent: the first pending
//    publish without a reply gets it (the receiver count);
//  - the id is the stream offset of the message's copy in the stream. The master puts one
//    connection's publishes into the stream in the order it executed them, so the first pending
//    publish not yet seen whose kind, channel and payload equal a stream message is that
//    message. (Another node publishing the very same channel and payload at the same moment could
//    swap the two ids; the bytes delivered are the same either way.)
//
// A publisher that only needs the count (RESP) is answered at the reply; one that needs the id
// (the gateway) once the message is back. Entries stay until their copy is seen, so that later
// matches stay in step, or until replica-publish-timeout ms (checked once a second) have passed.
// A master that has not replied within that time gets its connection closed (a reply arriving
// later could not be told from the next publish's), and a new one is opened for the next publish.
class PublishForwarding final : public broker::PublishForwarder {
 public:
  PublishForwarding(RespFrontEnd* front, ReplicationManager* manager);
  ~PublishForwarding() override;

  bool active() const override;
  std::string Forward(broker::SubKind kind, std::string_view channel, std::string_view payload,
                      bool need_id, const void* owner, Done done) override;
  void Cancel(const void* owner) override;

  // From the replication manager: a message of our master's stream, before it is delivered.
  void OnStreamPublish(broker::SubKind kind, std::string_view channel, std::string_view payload,
                       uint64_t id);
  void Cron(uint64_t now_ms);
  // A RESP session is closing (ours, or a blocked publisher).
  void OnSessionClosing(RespSession* session);
  // The master changed or we were promoted: everything pending fails.
  void Reset(std::string_view why);
  // Our connection's input: the master's replies.
  size_t OnReplies(ForwardConnection* connection, std::string_view data);

 private:
  struct Pending {
    broker::SubKind kind;
    std::string channel;
    std::string payload;
    bool need_id;
    const void* owner;
    Done done;  // empty once run or cancelled
    bool replied = false;
    bool seen = false;
    int64_t receivers = 0;
    uint64_t id = 0;
    uint64_t deadline_ms;
  };

  bool Connect();
  // Closes our connection; publishes it has not answered fail with `why`.
  void CloseConnection(std::string_view why);
  void Fail(Pending& p, std::string_view why);
  // Fails every publish the master has not answered (our connection to it is gone).
  void FailUnanswered(std::string_view why);
  // Runs done for entries that have what they wait for, and drops finished ones.
  void Settle();

  RespFrontEnd* front_;
  ReplicationManager* manager_;
  std::deque<Pending> pending_;
  ForwardConnection* connection_ = nullptr;
  size_t handshake_replies_ = 0;  // replies of AUTH / CLIENT SETNAME still to come
  std::string scratch_;
};

}  // namespace herald::resp
