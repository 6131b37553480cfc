#include "bench/proc_stats.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include <cstring>
#include <string_view>

#include "fmt/format.h"

namespace herald::bench {
namespace {

// Reads a whole small /proc file into `buf` (NUL-terminated). Returns its length, or -1.
ssize_t ReadSmallFile(const char* path, char* buf, size_t size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  while (len + 1 < size) {
    const ssize_t n = ::read(fd, buf + len, size - 1 - len);
    if (n < 0) {
      ::close(fd);
      return -1;
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  buf[len] = '\0';
  return static_cast<ssize_t>(len);
}

uint64_t ParseU64(const char*& p) {
  while (*p == ' ' || *p == '\t') ++p;
  uint64_t v = 0;
  while (*p >= '0' && *p <= '9') v = v * 10 + static_cast<uint64_t>(*p++ - '0');
  return v;
}

// The number after "<key>" at the start of a line ("syscw: 12", "VmRSS:   1234 kB").
bool FindField(std::string_view text, std::string_view key, uint64_t* value) {
  size_t pos = 0;
  while ((pos = text.find(key, pos)) != std::string_view::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      const char* p = text.data() + pos + key.size();
      *value = ParseU64(p);
      return true;
    }
    pos += key.size();
  }
  return false;
}

}  // namespace

ProcSample SampleProcess(int pid) {
  ProcSample s;
  s.taken_ns = uv_hrtime();
  if (pid <= 0) return s;
  char path[64];
  char buf[8192];

  *fmt::format_to_n(path, sizeof(path) - 1, "/proc/{}/stat", pid).out = '\0';
  ssize_t len = ReadSmallFile(path, buf, sizeof(buf));
  if (len <= 0) return s;
  // The command name is in parentheses and may itself contain spaces and ')', so the fields are
  // counted from the last ')'. Fields 14 and 15 (utime, stime) are the 12th and 13th after it.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return s;
  ++p;
  for (int field = 3; field < 14 && *p != '\0'; ++field) {
    while (*p == ' ') ++p;
    while (*p != ' ' && *p != '\0') ++p;
  }
  const uint64_t utime = ParseU64(p);
  const uint64_t stime = ParseU64(p);
  const long ticks = ::sysconf(_SC_CLK_TCK);
  s.cpu_ns = (utime + stime) * (1'000'000'000ull / static_cast<uint64_t>(ticks > 0 ? ticks : 100));
  s.ok = true;

  *fmt::format_to_n(path, sizeof(path) - 1, "/proc/{}/io", pid).out = '\0';
  len = ReadSmallFile(path, buf, sizeof(buf));
  if (len > 0) {
    const std::string_view text(buf, static_cast<size_t>(len));
    s.has_io = FindField(text, "syscr:", &s.syscr) && FindField(text, "syscw:", &s.syscw);
  }

  *fmt::format_to_n(path, sizeof(path) - 1, "/proc/{}/status", pid).out = '\0';
  len = ReadSmallFile(path, buf, sizeof(buf));
  if (len > 0) FindField(std::string_view(buf, static_cast<size_t>(len)), "VmRSS:", &s.rss_kb);
  return s;
}

uint64_t SelfCpuNs() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto ns = [](const timeval& tv) {
    return static_cast<uint64_t>(tv.tv_sec) * 1'000'000'000ull +
           static_cast<uint64_t>(tv.tv_usec) * 1000ull;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

}  // namespace herald::bench
