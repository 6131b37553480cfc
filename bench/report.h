#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::bench {

// Builds one JSON object on one line, the machine-readable result format: keys in insertion
// order, numbers formatted with a fixed number of decimals (no exponents), strings escaped.
class JsonLine {
 public:
  JsonLine();
  JsonLine& Str(std::string_view key, std::string_view value);
  JsonLine& Int(std::string_view key, int64_t value);
  JsonLine& Uint(std::string_view key, uint64_t value);
  JsonLine& Num(std::string_view key, double value, int decimals);
  JsonLine& Bool(std::string_view key, bool value);
  // `json` must already be valid JSON (an array built by the caller, for instance).
  JsonLine& Raw(std::string_view key, std::string_view json);
  // Opens a nested object under `key`; close it with End().
  JsonLine& Begin(std::string_view key);
  JsonLine& End();
  // The finished object (closes any nested object still open), without a newline.
  std::string Take();

 private:
  void Key(std::string_view key);

  std::string out_;
  int depth_ = 1;
  bool first_ = true;
};

}  // namespace herald::bench
