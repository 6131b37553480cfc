#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace herald::config {

// Whether `text` is a valid address rule: "*" (any address), an IPv4 or IPv6 address, or a
// CIDR block of either ("10.0.0.0/8", "fe80::/10").
bool IsAddressRule(std::string_view text);

// Whether the peer address `address` (an IP as Connection::peer() writes it, without the
// port) matches `rule`. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 rules. An
// invalid rule matches nothing.
bool AddressMatches(std::string_view rule, std::string_view address);

// Whether `address` matches any of `rules`.
bool AddressAllowed(const std::vector<std::string>& rules, std::string_view address);

// The IP part of Connection::peer() ("1.2.3.4:5678", "::1:5678").
std::string_view PeerIp(std::string_view peer);

}  // namespace herald::config
