#include "config/address_rule.h"

#include <doctest/doctest.h>

namespace herald::config {
namespace {

TEST_CASE("address rules: addresses, CIDR blocks and *") {
  CHECK(IsAddressRule("*"));
  CHECK(IsAddressRule("127.0.0.1"));
  CHECK(IsAddressRule("10.0.0.0/8"));
  CHECK(IsAddressRule("10.0.0.0/32"));
  CHECK(IsAddressRule("::1"));
  CHECK(IsAddressRule("fe80::/10"));
  CHECK(IsAddressRule("::/0"));
  CHECK_FALSE(IsAddressRule(""));
  CHECK_FALSE(IsAddressRule("localhost"));
  CHECK_FALSE(IsAddressRule("10.0.0.0/33"));
  CHECK_FALSE(IsAddressRule("::/129"));
  CHECK_FALSE(IsAddressRule("10.0.0.0/"));
  CHECK_FALSE(IsAddressRule("10.0.0.0/-1"));
  CHECK_FALSE(IsAddressRule("10.0.0.0/8/8"));
  CHECK_FALSE(IsAddressRule("1.2.3"));
}

TEST_CASE("address rules match peers") {
  CHECK(AddressMatches("*", "203.0.113.9"));
  CHECK(AddressMatches("127.0.0.0/8", "127.0.0.1"));
  CHECK(AddressMatches("127.0.0.0/8", "127.255.1.2"));
  CHECK_FALSE(AddressMatches("127.0.0.0/8", "128.0.0.1"));
  CHECK(AddressMatches("192.168.1.0/25", "192.168.1.127"));
  CHECK_FALSE(AddressMatches("192.168.1.0/25", "192.168.1.128"));
  CHECK(AddressMatches("0.0.0.0/0", "8.8.8.8"));
  CHECK(AddressMatches("::1", "::1"));
  CHECK_FALSE(AddressMatches("::1", "::2"));
  CHECK(AddressMatches("fe80::/10", "fe80::1234"));
  CHECK(AddressMatches("fe80::/10", "febf::1"));
  CHECK_FALSE(AddressMatches("fe80::/10", "fec0::1"));
  // An IPv4 client on a dual-stack socket.
  CHECK(AddressMatches("127.0.0.1", "::ffff:127.0.0.1"));
  CHECK(AddressMatches("10.0.0.0/8", "::ffff:10.1.2.3"));
  CHECK_FALSE(AddressMatches("::1", "127.0.0.1"));
  CHECK_FALSE(AddressMatches("bogus", "127.0.0.1"));
  CHECK_FALSE(AddressMatches("127.0.0.1", "not-an-ip"));
}

TEST_CASE("AddressAllowed and PeerIp") {
  std::vector<std::string> rules = {"127.0.0.0/8", "::1"};
  CHECK(AddressAllowed(rules, PeerIp("127.0.0.1:5000")));
  CHECK(AddressAllowed(rules, PeerIp("::1:5000")));
  CHECK_FALSE(AddressAllowed(rules, PeerIp("10.0.0.1:5000")));
  CHECK_FALSE(AddressAllowed({}, "127.0.0.1"));
  CHECK(PeerIp("fe80::1:80") == "fe80::1");
}

}  // namespace
}  // namespace herald::config
