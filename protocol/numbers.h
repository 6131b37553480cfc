#pragma once

#include <cstdint>
#include <string_view>

namespace herald::protocol {

// Parses a signed 64-bit decimal exactly as Redis's string2ll does: an optional '-', then digits
// with no leading zeros ("0" alone is fine), nothing else, no overflow. Returns false otherwise.
bool ParseInt64(std::string_view text, int64_t* value);

// Case-insensitive ASCII comparison (command names, keywords).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace herald::protocol
