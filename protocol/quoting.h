#pragma once

#include <string>
#include <string_view>

namespace herald::protocol {

// Appends `s` double-quoted with C escapes for '\\', '"', \n \r \t \a \b and \xHH for any other
// byte outside printable ASCII: Redis's sdscatrepr(), as MONITOR lines and redis.conf values use
// it. sdssplitargs() (config's SplitArgs) reads it back unchanged.
void AppendRedisQuoted(std::string* out, std::string_view s);

}  // namespace herald::protocol
