#include "protocol/secrets.h"

#include <doctest/doctest.h>

#include <string>

namespace herald::protocol {
namespace {

TEST_CASE("SecretEquals compares whole secrets") {
  CHECK(SecretEquals("s3cret", "s3cret"));
  CHECK(SecretEquals("", ""));
  CHECK_FALSE(SecretEquals("s3cret", "s3creT"));
  CHECK_FALSE(SecretEquals("s3cre", "s3cret"));
  CHECK_FALSE(SecretEquals("s3cret", ""));
  CHECK_FALSE(SecretEquals("", "s3cret"));
  std::string with_nul("a\0b", 3);
  CHECK(SecretEquals(with_nul, std::string("a\0b", 3)));
  CHECK_FALSE(SecretEquals(with_nul, "a"));
}

}  // namespace
}  // namespace herald::protocol
