#pragma once

// Long-poll sessions (poll.cc): what keeps a long-polling client subscribed between two polls.

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker.h"

namespace herald::gateway {

class Gateway;
class GatewayConnection;

// A long-polling client's subscriptions, held by the gateway rather than by one connection: a
// browser sends each poll on whichever pooled connection is free, and between two polls it is
// connected to nothing. A session keeps the client's place for gateway-poll-grace seconds after
// each answer: PUBLISH counts it as a receiver, and the messages it gets meanwhile (at most
// gateway-poll-buffer of them and gateway-poll-buffer-bytes of payload) answer the next poll
// that names the session. Over either cap the buffer is given up and that poll is answered from
// the channel history instead (with a gap notice if the history no longer reaches back).
//
// A poll without the `session` parameter gets a session that lives only while the poll waits
// (`keep` false), as it cannot be found again. Sessions are owned by Gateway and destroyed by
// Gateway::ReapPollSessions, never during a delivery (the broker may be iterating).
class PollSession : public broker::Subscriber {
 public:
  PollSession(Gateway* gateway, std::string id, std::vector<std::string> channels,
              std::vector<std::string> patterns, bool keep);

  void Deliver(const broker::Delivery& delivery, broker::FrameCache& frames) override;

  // A message received while no poll was waiting.
  struct Held {
    std::string channel;
    std::string pattern;  // "" for a channel subscription
    std::string payload;
    uint64_t id = 0;
  };

  const std::string& id() const { return id_; }
  bool keep() const { return keep_; }
  bool dead() const { return dead_; }
  // Whether a poll for these (sorted) names may use this session.
  bool SameNames(const std::vector<std::string>& channels,
                 const std::vector<std::string>& patterns) const {
    return channels == channels_ && patterns == patterns_;
  }
  const std::vector<std::string>& channels() const { return channels_; }
  const std::vector<std::string>& patterns() const { return patterns_; }

  // The poll now waiting on this session (null: none).
  GatewayConnection* waiter() const { return waiter_; }
  void Attach(GatewayConnection* connection) { waiter_ = connection; }
  // A poll waits on the session, from `last_id` (nothing newer was there for it).
  void Wait(GatewayConnection* connection, std::string last_id) {
    waiter_ = connection;
    last_id_ = std::move(last_id);
    expires_ms_ = UINT64_MAX;
  }
  // The waiting poll was answered (or went away) at `now_ms`, up to `last_id`: the grace period
  // starts (`last_id` null: the place is unchanged); a session that is not kept ends.
  void Detach(uint64_t now_ms, const std::string* last_id);
  // Ends the session: it receives nothing more and is destroyed by the next reap.
  void Kill() {
    dead_ = true;
    waiter_ = nullptr;
    held_.clear();
    held_bytes_ = 0;
  }

  // The last_id of the last answer: a poll resuming from it may be answered from held().
  const std::string& last_id() const { return last_id_; }
  // Whether the buffer was given up (a cap was reached) since the last answer.
  bool overflowed() const { return overflowed_; }
  const std::deque<Held>& held() const { return held_; }
  void ClearHeld() {
    held_.clear();
    held_bytes_ = 0;
    overflowed_ = false;
  }
  size_t held_bytes() const { return held_bytes_; }
  uint64_t expires_ms() const { return expires_ms_; }

 private:
  Gateway* gateway_;
  std::string id_;
  std::vector<std::string> channels_;  // sorted
  std::vector<std::string> patterns_;  // sorted
  std::deque<Held> held_;
  size_t held_bytes_ = 0;
  std::string last_id_;
  GatewayConnection* waiter_ = nullptr;
  uint64_t expires_ms_ = UINT64_MAX;  // while detached: when the grace period ends
  bool keep_;
  bool dead_ = false;
  bool overflowed_ = false;
};

}  // namespace herald::gateway
