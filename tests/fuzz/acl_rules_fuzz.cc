// libFuzzer target for the ACL rule parser (broker/acl.h).
//
// Input: ACL SETUSER rules, one per line. Each is applied to a fresh user, refused or not; the
// parser must never crash, and what it accepted must describe itself stably: the ACL LIST text
// of the user, applied as rules to another fresh user, gives the same text back (what ACL SAVE
// and ACL LOAD rely on). Channel and command checks run on the result with arbitrary names.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/acl.h"
#include "tests/fuzz/fuzz_helpers.h"

namespace herald::fuzz {
namespace {

const broker::AclCatalog& Catalog() {
  // A small stand-in for Redis's command list: enough for both answers to occur.
  static const broker::AclCatalog kCatalog{
      .is_command =
          [](std::string_view name) {
            return name == "publish" || name == "subscribe" || name == "client" || name == "get";
          },
      .is_subcommand =
          [](std::string_view name, std::string_view sub) {
            return name == "client" && (sub.empty() || sub == "list" || sub == "kill");
          }};
  return kCatalog;
}

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t at = 0;
  while (at < text.size()) {
    size_t space = text.find(' ', at);
    if (space == std::string_view::npos) space = text.size();
    if (space > at) words.push_back(text.substr(at, space - at));
    at = space + 1;
  }
  return words;
}

}  // namespace
}  // namespace herald::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herald;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  broker::AclUser user("u");
  size_t at = 0;
  while (at <= input.size()) {
    size_t end = input.find('\n', at);
    if (end == std::string_view::npos) end = input.size();
    std::string_view rule = input.substr(at, end - at);
    // Rules are whole words (ACL SETUSER arguments); a space inside one is its own test.
    // A selector "(...)" holds its own spaces.
    if (rule.find(' ') == std::string_view::npos ||
        (!rule.empty() && rule.front() == '(' && rule.back() == ')')) {
      user.Apply(rule, fuzz::Catalog(), false);
    }
    at = end + 1;
  }
  std::string described = user.Describe();
  broker::AclUser copy("u");
  // ACL LIST's text splits on spaces; selectors are joined back as ACL SETUSER joins them.
  std::vector<std::string> merged;
  std::string unmatched;
  fuzz::Check(broker::MergeSelectorArguments(fuzz::Words(described), &merged, &unmatched));
  for (const std::string& word : merged) {
    std::string why = copy.Apply(word, fuzz::Catalog(), false);
    fuzz::Check(why.empty());
  }
  fuzz::Check(copy.Describe() == described);
  for (std::string_view name : {"publish", "subscribe", "get"}) {
    fuzz::Check(user.MayRun(name, "", "@pubsub") == copy.MayRun(name, "", "@pubsub"));
    std::vector<std::string_view> channels = {input, "chat"};
    fuzz::Check(user.Check(name, "", "@pubsub", channels, false, nullptr) ==
                copy.Check(name, "", "@pubsub", channels, false, nullptr));
  }
  fuzz::Check(user.MayUseChannel(input, false) == copy.MayUseChannel(input, false));
  fuzz::Check(user.MayUseChannel(input, true) == copy.MayUseChannel(input, true));
  return 0;
}
