#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_parser.h"
#include "protocol/resp_writer.h"
#include "server/broker.h"
#include "server/connection.h"

namespace herald::server {

// CLIENT REPLY modes.
enum class ReplyMode : uint8_t { kOn, kOff, kSkipNext, kSkipThis };

// A RESP client: parses requests, runs them through the command table, and receives pub/sub
// messages as a broker Subscriber. Replies of one command are gathered in reply_ and queued
// when the command ends, unless CLIENT REPLY says otherwise; pub/sub pushes (acks and
// messages) are queued immediately and are never silenced.
class RespSession : public Connection, public Subscriber {
 public:
  RespSession(Server* server, uint64_t id);
  ~RespSession() override;

  // The writer for the current command's reply.
  protocol::RespWriter& reply() { return writer_; }
  // Queues `bytes` as a push (subscribe acks): ahead of the current command's reply, and even
  // with CLIENT REPLY OFF.
  void Push(std::string_view bytes);

  int resp() const { return resp_; }
  void set_resp(int resp);
  bool authenticated() const { return authenticated_; }
  void set_authenticated(bool value) { authenticated_ = value; }
  int db() const { return db_; }
  void set_db(int db) { db_ = db; }
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  const std::string& lib_name() const { return lib_name_; }
  const std::string& lib_ver() const { return lib_ver_; }
  void set_lib_name(std::string value) { lib_name_ = std::move(value); }
  void set_lib_ver(std::string value) { lib_ver_ = std::move(value); }
  ReplyMode reply_mode() const { return reply_mode_; }
  void set_reply_mode(ReplyMode mode) { reply_mode_ = mode; }
  const std::string& last_command() const { return last_command_; }
  void set_last_command(std::string_view name) { last_command_.assign(name); }
  // RESP2 with at least one subscription: only the pub/sub commands may run.
  bool in_subscribed_context() const { return resp_ == 2 && total_count() > 0; }

  // RESET: back to a fresh connection's state, subscriptions dropped silently.
  void Reset();

  ClientClass output_class() const override;
  void Deliver(const Delivery& delivery, FrameCache& frames) override;

 protected:
  size_t ProcessInput(std::string_view data) override;
  void OnClosing() override;

 private:
  void FinishCommand();

  protocol::RequestParser parser_;
  std::string reply_buffer_;
  protocol::RespWriter writer_;
  int resp_ = 2;
  bool authenticated_ = false;
  int db_ = 0;
  ReplyMode reply_mode_ = ReplyMode::kOn;
  std::string name_;
  std::string lib_name_;
  std::string lib_ver_;
  std::string last_command_ = "NULL";
};

}  // namespace herald::server
