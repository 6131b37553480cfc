#include "config/address_rule.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "protocol/numbers.h"

namespace herald::config {
namespace {

// An address as 16 bytes (IPv4 as IPv4-mapped IPv6) and the prefix length that covers it.
struct Block {
  std::array<uint8_t, 16> bytes{};
  unsigned prefix = 128;
};

bool ParseAddress(std::string_view text, Block* block) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  std::string copy(text);
  in_addr v4{};
  if (inet_pton(AF_INET, copy.c_str(), &v4) == 1) {
    block->bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::memcpy(block->bytes.data() + 12, &v4, 4);
    block->prefix = 128;
    return true;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, copy.c_str(), &v6) == 1) {
    std::memcpy(block->bytes.data(), &v6, 16);
    block->prefix = 128;
    return true;
  }
  return false;
}

bool IsMappedV4(const Block& block) {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(block.bytes.data(), kMapped, 12) == 0;
}

bool ParseRule(std::string_view text, Block* block) {
  size_t slash = text.find('/');
  if (!ParseAddress(text.substr(0, slash), block)) return false;
  if (slash == std::string_view::npos) return true;
  int64_t bits = 0;
  if (!protocol::ParseInt64(text.substr(slash + 1), &bits) || bits < 0) return false;
  bool v4 = IsMappedV4(*block) && text.substr(0, slash).find(':') == std::string_view::npos;
  if (bits > (v4 ? 32 : 128)) return false;
  block->prefix = static_cast<unsigned>(v4 ? bits + 96 : bits);
  return true;
}

}  // namespace

bool IsAddressRule(std::string_view text) {
  Block block;
  return text == "*" || ParseRule(text, &block);
}

bool AddressMatches(std::string_view rule, std::string_view address) {
  if (rule == "*") return true;
  Block want;
  Block have;
  if (!ParseRule(rule, &want) || !ParseAddress(address, &have)) return false;
  unsigned full = want.prefix / 8;
  if (std::memcmp(want.bytes.data(), have.bytes.data(), full) != 0) return false;
  unsigned rest = want.prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff00u >> rest);
  return (want.bytes[full] & mask) == (have.bytes[full] & mask);
}

bool AddressAllowed(const std::vector<std::string>& rules, std::string_view address) {
  for (const std::string& rule : rules) {
    if (AddressMatches(rule, address)) return true;
  }
  return false;
}

std::string_view PeerIp(std::string_view peer) {
  size_t colon = peer.rfind(':');
  return colon == std::string_view::npos ? peer : peer.substr(0, colon);
}

}  // namespace herald::config
