#pragma once

#include <cstdint>
#include <string_view>

namespace herald::protocol {

// Parses a signed 64-bit decimal exactly as Redis's string2ll does: an optional '-', then digits
// with no leading zeros ("0" alone is fine), nothing else, no overflow. Returns false otherwise.
bool ParseInt64(std::string_view text, int64_t* value);

// Parses an unsigned 64-bit decimal with no sign, no whitespace and no leading zero ("0" itself
// is fine): ids, offsets, timeouts in URLs. Returns false for anything else, leaving *value
// untouched.
bool ParseUint64(std::string_view text, uint64_t* value);

// Case-insensitive ASCII comparison (command names, keywords).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// The value of a hexadecimal digit of either case, or -1.
constexpr int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace herald::protocol
