#pragma once

// Scratch directories and loading helpers for the config unit tests (config_test.cc,
// config_commands_test.cc).

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"

namespace herald::config::test_util {

namespace fs = std::filesystem;

// A scratch directory under /tmp, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string templ = "/tmp/herald_config_test_XXXXXX";
    char* made = mkdtemp(templ.data());
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `content` to `name` inside the directory and returns the file's absolute path.
  std::string Write(const std::string& name, const std::string& content) const {
    std::string file = path_ + "/" + name;
    std::ofstream out(file, std::ios::binary);
    out << content;
    REQUIRE(out.good());
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Changes the working directory for one scope (`include` is relative to it, as in Redis).
class ScopedChdir {
 public:
  explicit ScopedChdir(const std::string& dir) : old_(fs::current_path()) { fs::current_path(dir); }
  ~ScopedChdir() { fs::current_path(old_); }
  ScopedChdir(const ScopedChdir&) = delete;
  ScopedChdir& operator=(const ScopedChdir&) = delete;

 private:
  fs::path old_;
};

struct LoadResult {
  bool ok = false;
  std::string error;
  std::vector<std::string> notices;
};

inline LoadResult LoadFile(ConfigStore* store, const std::string& path,
                           const std::string& overrides = "") {
  LoadResult result;
  result.ok = store->Load(path, overrides, &result.error, &result.notices);
  return result;
}

// Loads `text` as a file named "herald.conf".
inline LoadResult LoadText(ConfigStore* store, const TempDir& dir, const std::string& text,
                           const std::string& overrides = "") {
  return LoadFile(store, dir.Write("herald.conf", text), overrides);
}

// The reason of a failed load: the last line's text after "<file>:<line>: ".
inline std::string Reason(const LoadResult& result) {
  std::string last = result.error.substr(result.error.rfind('\n') + 1);
  size_t colon = last.find(": ");
  return colon == std::string::npos ? last : last.substr(colon + 2);
}

// The reason a one-line file gives, "" if it loads.
inline std::string LineError(const std::string& line) {
  TempDir dir;
  ConfigStore store;
  LoadResult result = LoadText(&store, dir, line + "\n");
  return result.ok ? std::string() : Reason(result);
}

inline std::string GetOne(const ConfigStore& store, std::string_view name) {
  auto pairs = store.Get({name});
  REQUIRE(pairs.size() == 1);
  return pairs[0].second;
}

inline std::string Set(ConfigStore* store,
                       const std::vector<std::pair<std::string_view, std::string_view>>& p) {
  return store->Set(p);
}

inline CommandLine Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "herald-server");
  CommandLine command_line;
  std::string error;
  REQUIRE(ParseCommandLine(static_cast<int>(args.size()), args.data(), &command_line, &error));
  return command_line;
}

inline std::string Block(int line, const std::string& text, const std::string& reason,
                         const std::string& where) {
  return "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
         "Reading the configuration file, at line " +
         std::to_string(line) + "\n>>> '" + text + "'\n" + reason + "\n" + where + ": " + reason;
}

}  // namespace herald::config::test_util
