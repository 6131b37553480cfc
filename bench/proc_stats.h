#pragma once

#include <cstdint>

namespace herald::bench {

// A snapshot of another process's resource counters, read from /proc/<pid>/{stat,io,status}.
// The benchmark client and the server share a 2-core machine, so the client is often the
// bottleneck; the server's own CPU time and write syscalls per message are what still tell two
// servers apart in that case.
struct ProcSample {
  bool ok = false;        // stat was readable; the other fields are only meaningful if set
  bool has_io = false;    // /proc/<pid>/io was readable (needs the same user or root)
  uint64_t cpu_ns = 0;    // utime + stime, in clock-tick resolution (usually 10 ms)
  uint64_t syscr = 0;     // read-family syscalls so far
  uint64_t syscw = 0;     // write-family syscalls so far (write, writev, ...)
  uint64_t rss_kb = 0;    // VmRSS
  uint64_t taken_ns = 0;  // uv_hrtime() when the sample was taken
};

// Samples `pid`. Returns a sample with ok == false when pid <= 0 or the process cannot be read.
// Does not allocate on the heap; cheap enough to call a few times per run (not per message).
ProcSample SampleProcess(int pid);

// CPU time (user + system) this process has used so far, in nanoseconds.
uint64_t SelfCpuNs();

}  // namespace herald::bench
