#include "replication/rdb_sniffer.h"

#include <algorithm>

namespace herald::repl {

namespace {
constexpr std::string_view kMagicPrefix = "REDIS";
constexpr uint32_t kMagicLength = 9;  // "REDIS" and four version digits
constexpr uint8_t kOpcodeAux = 0xFA;
constexpr uint8_t kOpcodeEof = 0xFF;
}  // namespace

// Redis's rdbLoadLen / rdbGenericLoadStringObject encodings: 00xxxxxx (6 bits), 01xxxxxx + 1
// byte (14 bits), 0x80 + 4 bytes, 0x81 + 8 bytes (big-endian); for strings also 11xxxxxx: an
// integer of 1, 2 or 4 bytes (0xC0-0xC2), or LZF (0xC3: compressed length, raw length, bytes).
void RdbSniffer::OnLengthHeader(uint8_t byte) {
  switch (byte >> 6) {
    case 0:
      OnLength(byte & 0x3F);
      return;
    case 1:
      length_ = byte & 0x3F;
      length_left_ = 1;
      step_ = Step::kLengthBytes;
      return;
    case 2:
      if (byte != 0x80 && byte != 0x81) break;
      length_ = 0;
      length_left_ = byte == 0x80 ? 4 : 8;
      step_ = Step::kLengthBytes;
      return;
    default:
      if (purpose_ != Purpose::kString) break;
      if ((byte & 0x3F) <= 2) {
        skip_ = uint64_t{1} << (byte & 0x3F);  // 1, 2 or 4 bytes of integer
        step_ = Step::kSkip;
        return;
      }
      if ((byte & 0x3F) == 3) {
        purpose_ = Purpose::kLzfCompressed;
        step_ = Step::kLengthHeader;
        return;
      }
      break;
  }
  verdict_ = Verdict::kInvalid;
}

void RdbSniffer::OnLength(uint64_t value) {
  switch (purpose_) {
    case Purpose::kString:
      skip_ = value;
      // Only the key of an aux field, stored as plain bytes, can be the marker.
      key_may_match_ = strings_left_ == 2 && value == kUpstreamDataAux.size();
      key_matched_ = 0;
      break;
    case Purpose::kLzfCompressed:
      lzf_compressed_ = value;
      purpose_ = Purpose::kLzfRaw;
      step_ = Step::kLengthHeader;
      return;
    case Purpose::kLzfRaw:
      skip_ = lzf_compressed_;
      break;
  }
  step_ = Step::kSkip;
  if (skip_ == 0) StringDone();
}

void RdbSniffer::StringDone() {
  if (key_may_match_ && key_matched_ == kUpstreamDataAux.size()) upstream_data_ = true;
  key_may_match_ = false;
  purpose_ = Purpose::kString;
  if (--strings_left_ == 0) {
    step_ = Step::kOpcode;
  } else {
    step_ = Step::kLengthHeader;
  }
}

RdbSniffer::Verdict RdbSniffer::Feed(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size() && verdict_ == Verdict::kUnknown) {
    const auto byte = static_cast<uint8_t>(bytes[i]);
    switch (step_) {
      case Step::kMagic: {
        const bool ok = magic_read_ < kMagicPrefix.size()
                            ? byte == static_cast<uint8_t>(kMagicPrefix[magic_read_])
                            : byte >= '0' && byte <= '9';
        if (!ok) {
          verdict_ = Verdict::kInvalid;
          break;
        }
        ++i;
        if (++magic_read_ == kMagicLength) step_ = Step::kOpcode;
        break;
      }
      case Step::kOpcode:
        ++i;
        if (byte == kOpcodeEof) {
          verdict_ = upstream_data_ ? Verdict::kUpstreamData : Verdict::kEmpty;
        } else if (byte == kOpcodeAux) {
          strings_left_ = 2;
          purpose_ = Purpose::kString;
          step_ = Step::kLengthHeader;
        } else {
          verdict_ = Verdict::kData;
        }
        break;
      case Step::kLengthHeader:
        ++i;
        OnLengthHeader(byte);
        break;
      case Step::kLengthBytes:
        ++i;
        length_ = (length_ << 8) | byte;
        if (--length_left_ == 0) OnLength(length_);
        break;
      case Step::kSkip: {
        const uint64_t n = std::min<uint64_t>(skip_, bytes.size() - i);
        if (key_may_match_) {
          key_may_match_ =
              bytes.substr(i, static_cast<size_t>(n)) ==
              kUpstreamDataAux.substr(static_cast<size_t>(key_matched_), static_cast<size_t>(n));
          key_matched_ += n;
        }
        skip_ -= n;
        i += static_cast<size_t>(n);
        if (skip_ == 0) StringDone();
        break;
      }
    }
  }
  return verdict_;
}

}  // namespace herald::repl
