#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "config/config.h"

namespace herald::server {

// Process-wide log settings: the one piece of global state, as in redis-server. Lines look like
// Redis's: "1234:M 22 Nov 2026 05:00:00.123 * Ready to accept connections tcp".
void SetLogLevel(config::LogLevel level);
// Opens `path` for appending ("" = standard output). Returns false if it cannot be opened.
bool SetLogFile(const std::string& path);
// The role letter after the pid: 'M' master, 'S' replica.
void SetLogRole(char role);
bool LogEnabled(config::LogLevel level);
void LogRaw(config::LogLevel level, std::string_view message);

template <typename... Args>
void Log(config::LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (!LogEnabled(level)) return;
  LogRaw(level, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace herald::server
