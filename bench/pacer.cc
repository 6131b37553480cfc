#include "bench/pacer.h"

#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace herald::bench {

Pacer::Pacer(uv_loop_t* loop, std::function<void(uint64_t)> on_fire)
    : loop_(loop), on_fire_(std::move(on_fire)) {
  poll_.data = this;
}

Pacer::~Pacer() {
  if (fd_ >= 0 && closed_) ::close(fd_);
}

int Pacer::Start() {
  // The default 50 us timer slack lets the kernel coalesce wake-ups; a paced publisher wants
  // them on time. This affects this process only.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  // uv_hrtime() reads CLOCK_MONOTONIC, so deadlines need no conversion.
  fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd_ < 0) return -errno;
  const int r = uv_poll_init(loop_, &poll_, fd_);
  if (r < 0) return r;
  closed_ = false;
  started_ = true;
  return uv_poll_start(&poll_, UV_READABLE, OnPoll);
}

void Pacer::ArmAt(uint64_t deadline_ns) {
  if (!started_ || closing_) return;
  itimerspec spec{};
  // A zero it_value would disarm the timer; a deadline at or before now fires immediately.
  if (deadline_ns == 0) deadline_ns = 1;
  spec.it_value.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000ull);
  spec.it_value.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000ull);
  ::timerfd_settime(fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void Pacer::OnPoll(uv_poll_t* handle, int status, int) {
  auto* self = static_cast<Pacer*>(handle->data);
  if (self->closing_ || status < 0) return;
  uint64_t expirations;
  // Drains the expiration count so that the fd stops being readable until the next deadline.
  if (::read(self->fd_, &expirations, sizeof(expirations)) < 0) return;
  self->on_fire_(uv_hrtime());
}

void Pacer::Close() {
  if (closing_ || !started_) {
    closing_ = true;
    return;
  }
  closing_ = true;
  uv_poll_stop(&poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnClose);
}

void Pacer::OnClose(uv_handle_t* handle) {
  auto* self = static_cast<Pacer*>(handle->data);
  ::close(self->fd_);
  self->fd_ = -1;
  self->closed_ = true;
}

}  // namespace herald::bench
