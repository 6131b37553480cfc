#include "protocol/quoting.h"

#include <fmt/format.h>

#include <iterator>

namespace herald::protocol {

void AppendRedisQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
      case '"':
        out->push_back('\\');
        out->push_back(ch);
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\a':
        out->append("\\a");
        break;
      case '\b':
        out->append("\\b");
        break;
      default:
        if (c >= 0x20 && c <= 0x7e) {
          out->push_back(ch);
        } else {
          fmt::format_to(std::back_inserter(*out), "\\x{:02x}", c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace herald::protocol
