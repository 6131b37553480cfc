#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::protocol {

// The gateway's message ids, as SSE `id:` fields, JSON `id`s, Last-Event-ID, `lastEventId` and
// `since`: "<epoch>-<offset>". The epoch names a replication history (the first
// kMessageIdEpochSize hex digits of its replication ID, "0" before there is one) and the offset
// is the stream position just past the message, so a message has the same id on every node.
inline constexpr size_t kMessageIdEpochSize = 12;

struct MessageId {
  std::string_view epoch;  // a view into the parsed text
  uint64_t offset = 0;
};

// Formats an id: the epoch is the first kMessageIdEpochSize characters of `replid` ("0" if it is
// empty).
std::string FormatMessageId(std::string_view replid, uint64_t offset);

// Parses what FormatMessageId writes: 1 to kMessageIdEpochSize lower-case hex digits, '-', and
// the offset as ParseUint64 reads it. Returns false for anything else, leaving *id untouched, so
// that every accepted text formats back to itself.
bool ParseMessageId(std::string_view text, MessageId* id);

}  // namespace herald::protocol
