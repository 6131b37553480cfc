#include "server/logging.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace herald::server {

using config::LogLevel;
namespace {

LogLevel g_level = LogLevel::kNotice;
FILE* g_file = nullptr;  // nullptr = stdout
char g_role = 'M';

}  // namespace

void SetLogLevel(LogLevel level) { g_level = level; }

bool SetLogFile(const std::string& path) {
  if (path.empty()) {
    if (g_file != nullptr) std::fclose(g_file);
    g_file = nullptr;
    return true;
  }
  FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) return false;
  if (g_file != nullptr) std::fclose(g_file);
  g_file = file;
  return true;
}

void SetLogRole(char role) { g_role = role; }

bool LogEnabled(LogLevel level) {
  return level != LogLevel::kNothing && g_level != LogLevel::kNothing && level >= g_level;
}

void LogRaw(LogLevel level, std::string_view message) {
  static constexpr char kMarks[] = {'.', '-', '*', '#'};
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm local;
  localtime_r(&tv.tv_sec, &local);
  char stamp[64];
  size_t n = std::strftime(stamp, sizeof(stamp), "%d %b %Y %H:%M:%S", &local);
  FILE* out = g_file != nullptr ? g_file : stdout;
  std::fprintf(out, "%d:%c %.*s.%03d %c %.*s\n", static_cast<int>(getpid()), g_role,
               static_cast<int>(n), stamp, static_cast<int>(tv.tv_usec / 1000),
               kMarks[static_cast<int>(level) & 3], static_cast<int>(message.size()),
               message.data());
  std::fflush(out);
}

}  // namespace herald::server
