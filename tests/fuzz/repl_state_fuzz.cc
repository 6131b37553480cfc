// libFuzzer target for the replication state file parser (replication/state_file.h).
//
// Input: the file's text. The parser must never crash; what it accepts must be exactly what
// FormatSavedReplication writes for the parsed values (so a file is either read whole and
// faithfully, or refused).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "replication/state_file.h"
#include "tests/fuzz/fuzz_helpers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herald;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  repl::SavedReplication saved;
  std::string why;
  if (repl::ParseSavedReplication(input, &saved, &why)) {
    fuzz::Check(repl::FormatSavedReplication(saved) == input);
    fuzz::Check(why.empty());
  } else {
    fuzz::Check(!why.empty());
  }
  return 0;
}
