#include "protocol/message_id.h"

#include <fmt/format.h>

#include "protocol/numbers.h"

namespace herald::protocol {

std::string FormatMessageId(std::string_view replid, uint64_t offset) {
  if (replid.empty()) replid = "0";
  return fmt::format("{}-{}", replid.substr(0, kMessageIdEpochSize), offset);
}

bool ParseMessageId(std::string_view text, MessageId* id) {
  const size_t dash = text.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash > kMessageIdEpochSize) return false;
  const std::string_view epoch = text.substr(0, dash);
  for (char c : epoch) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  uint64_t offset = 0;
  if (!ParseUint64(text.substr(dash + 1), &offset)) return false;
  id->epoch = epoch;
  id->offset = offset;
  return true;
}

}  // namespace herald::protocol
