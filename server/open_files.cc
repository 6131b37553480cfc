#include "server/open_files.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "server/logging.h"

namespace herald::server {

using config::LogLevel;

OpenFilesOutcome AdjustOpenFilesLimit(int64_t maxclients) {
  OpenFilesOutcome out;
  out.maxclients = maxclients;
  // Redis prints its unsigned maxclients with %d: values above INT_MAX come out negative.
  const auto as_printed = static_cast<int32_t>(static_cast<uint32_t>(maxclients));
  const rlim_t needed = static_cast<uint32_t>(maxclients + kReservedFds);
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == -1) {
    Log(LogLevel::kWarning,
        "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max "
        "clients configuration accordingly.",
        std::strerror(errno));
    out.maxclients = 1024 - kReservedFds;
    return out;
  }
  const rlim_t old_limit = limit.rlim_cur;
  if (old_limit == RLIM_INFINITY || old_limit >= needed) return out;

  // Redis tries `needed`, then 16 fewer at a time down to the current limit. An unprivileged
  // process cannot go above its hard limit, so the attempts between `needed` and the hard limit
  // are skipped: they would all fail with EPERM (Redis makes them one by one).
  constexpr rlim_t kStep = 16;
  rlim_t best = needed;
  int setrlimit_error = 0;
  while (best > old_limit) {
    rlimit attempt{best, best};
    if (setrlimit(RLIMIT_NOFILE, &attempt) != -1) break;
    setrlimit_error = errno;
    if (best < kStep) {
      best = old_limit;
      break;
    }
    if (setrlimit_error == EPERM && limit.rlim_max != RLIM_INFINITY && best > limit.rlim_max) {
      best -= (best - limit.rlim_max + kStep - 1) / kStep * kStep;
    } else {
      best -= kStep;
    }
  }
  if (best < old_limit) best = old_limit;
  if (best >= needed) {
    Log(LogLevel::kNotice,
        "Increased maximum number of open files to {} (it was originally set to {}).", needed,
        old_limit);
    return out;
  }
  if (best <= static_cast<rlim_t>(kReservedFds)) {
    out.fatal = fmt::format(
        "Your current 'ulimit -n' of {} is not enough for the server to start. Please increase "
        "your open file limit to at least {}. Exiting.",
        old_limit, needed);
    return out;
  }
  out.maxclients = static_cast<int64_t>(best) - kReservedFds;
  Log(LogLevel::kWarning,
      "You requested maxclients of {} requiring at least {} max file descriptors.", as_printed,
      needed);
  Log(LogLevel::kWarning, "Server can't set maximum open files to {} because of OS error: {}.",
      needed, std::strerror(setrlimit_error));
  Log(LogLevel::kWarning,
      "Current maximum open files is {}. maxclients has been reduced to {} to compensate for low "
      "ulimit. If you need higher maxclients increase 'ulimit -n'.",
      best, out.maxclients);
  return out;
}

}  // namespace herald::server
