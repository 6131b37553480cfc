// The open-file limit and maxclients, as redis-server 7.0 reconciles them (adjustOpenFilesLimit).
#pragma once

#include <cstdint>
#include <string>

namespace herald::server {

// Descriptors kept for listeners, log files and the like on top of one per client
// (Redis's CONFIG_MIN_RESERVED_FDS).
inline constexpr int64_t kReservedFds = 32;

struct OpenFilesOutcome {
  // The maxclients the limit allows: the requested one, or fewer when the limit could not be
  // raised far enough (then the three warnings Redis logs were logged).
  int64_t maxclients = 0;
  // Set when not even one client fits: the message to log before exiting, as Redis does at
  // start-up.
  std::string fatal;
};

// Raises RLIMIT_NOFILE to hold `maxclients` clients plus kReservedFds, stepping down 16 at a time
// from there when the system refuses, like Redis. The sum is computed in 32 bits as in Redis
// (maxclients is an unsigned int there), so that a maxclients within 32 of 2^32 needs no
// descriptors at all and is accepted as it is: redis-server 7.0.15 answers the same.
OpenFilesOutcome AdjustOpenFilesLimit(int64_t maxclients);

}  // namespace herald::server
