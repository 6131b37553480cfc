#pragma once

#include <string_view>

namespace herald::protocol {

// Whether two secrets (passwords, publish tokens) are equal, in time that depends on neither
// their contents nor where they first differ: both are hashed with SHA-256 and the digests
// compared with CRYPTO_memcmp. Hashing first also hides the length of the expected secret.
bool SecretEquals(std::string_view given, std::string_view expected);

}  // namespace herald::protocol
