#include "bench/resp_client.h"

#include <uv.h>

#include <iterator>

#include "fmt/format.h"

namespace herald::bench {

RespClient::RespClient(LoopContext* ctx, const RespSettings* settings)
    : TcpClient(ctx), settings_(settings) {
  if (settings_->tls) UseTls(settings_->tls.get());
}

void RespClient::QueueCommand(std::initializer_list<std::string_view> args) {
  std::string cmd = fmt::format("*{}\r\n", args.size());
  for (std::string_view a : args) {
    fmt::format_to(std::back_inserter(cmd), "${}\r\n{}\r\n", a.size(), a);
  }
  Queue(cmd);
}

void RespClient::OnConnected() {
  if (!settings_->password.empty()) {
    QueueCommand({"AUTH", settings_->password});
    ++handshake_replies_;
  }
  if (settings_->protocol == 3) {
    QueueCommand({"HELLO", "3"});
    ++handshake_replies_;
  }
  // Pipelined behind the handshake: replies come back in order, so nothing waits a round trip.
  OnReady();
}

size_t RespClient::FastPath(const char*, size_t, uint64_t) { return 0; }

size_t RespClient::OnData(const char* data, size_t len, uint64_t now_ns) {
  size_t off = 0;
  while (off < len) {
    if (handshake_replies_ == 0) {
      const size_t fast = FastPath(data + off, len - off, now_ns);
      if (fast > 0) {
        off += fast;
        if (closing()) return len;
        continue;
      }
    }
    size_t used;
    const ReadStatus st = ReadFrame(data + off, len - off, &frame_, &used);
    if (st == ReadStatus::kNeedMore) break;
    if (st == ReadStatus::kProtocolError) {
      OnError("protocol error in a reply from the server");
      Close();
      return len;
    }
    off += used;
    const RespType type = frame_.top.type;
    if (type == RespType::kError || type == RespType::kBulkError) {
      OnError(fmt::format("server replied: {}", frame_.top.str));
      Close();
      return len;
    }
    if (handshake_replies_ > 0 && type != RespType::kPush) {
      --handshake_replies_;
      continue;
    }
    OnReply(frame_, now_ns);
    if (closing()) return len;
  }
  return off;
}

void RespClient::OnFailure(std::string_view what, int status) {
  OnError(status == 0 ? std::string(what) : fmt::format("{}: {}", what, uv_strerror(status)));
}

}  // namespace herald::bench
