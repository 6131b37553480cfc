#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

namespace herald::bench {

// Calls back at absolute uv_hrtime() deadlines with microsecond precision, using a timerfd
// polled by the loop. uv_timer_t has millisecond resolution, which at 10,000 messages/s would
// send bursts of 10 and add up to a millisecond of client-made latency.
//
// Lifetime: Close() before the loop ends; the object must outlive the close callback (closed()).
class Pacer {
 public:
  // `on_fire(now_ns)` runs on the loop when an armed deadline has passed.
  Pacer(uv_loop_t* loop, std::function<void(uint64_t)> on_fire);
  ~Pacer();
  Pacer(const Pacer&) = delete;
  Pacer& operator=(const Pacer&) = delete;

  // Creates the timerfd and starts polling it. Returns 0 or a negative errno / UV_E* code.
  int Start();
  // Fires once at `deadline_ns` (uv_hrtime clock), or at once if it has passed. Replaces any
  // earlier deadline.
  void ArmAt(uint64_t deadline_ns);
  // Stops firing and releases the timerfd; idempotent.
  void Close();
  bool closed() const { return closed_; }

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnClose(uv_handle_t* handle);

  uv_loop_t* loop_;
  std::function<void(uint64_t)> on_fire_;
  uv_poll_t poll_;
  int fd_ = -1;
  bool started_ = false;
  bool closing_ = false;
  bool closed_ = true;
};

}  // namespace herald::bench
