#include "resp/transaction.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using herald::resp::CommandArgs;
using herald::resp::FindCommand;
using herald::resp::Transaction;

namespace {

void Add(Transaction& t, std::vector<std::string_view> args) {
  const auto* top = FindCommand(args[0]);
  REQUIRE(top != nullptr);
  const herald::resp::Command* sub = nullptr;
  if (!top->subcommands.empty()) {
    for (const auto& candidate : top->subcommands) {
      if (candidate.name == args[1]) sub = &candidate;
    }
    REQUIRE(sub != nullptr);
  }
  t.Add(top, sub, CommandArgs(args.data(), args.size()));
}

}  // namespace

TEST_CASE("a transaction gives back every queued command's arguments") {
  Transaction t;
  Add(t, {"ping"});
  Add(t, {"publish", "ch", std::string_view("a\0b", 3)});
  Add(t, {"client", "list"});
  Add(t, {"echo", ""});
  REQUIRE(t.commands.size() == 4);
  std::vector<std::string_view> argv;
  t.Args(t.commands[0], &argv);
  CHECK(argv == std::vector<std::string_view>{"ping"});
  t.Args(t.commands[1], &argv);
  CHECK(argv == std::vector<std::string_view>{"publish", "ch", std::string_view("a\0b", 3)});
  t.Args(t.commands[2], &argv);
  CHECK(argv == std::vector<std::string_view>{"client", "list"});
  CHECK(t.commands[2].sub != nullptr);
  CHECK(t.commands[2].sub->name == "list");
  t.Args(t.commands[3], &argv);
  CHECK(argv == std::vector<std::string_view>{"echo", ""});
}

TEST_CASE("multi-mem and flags as Redis counts them") {
  Transaction t;
  CHECK(t.argv_len_sums == 0);
  Add(t, {"ping"});               // 4 bytes + 8
  Add(t, {"publish", "x", "y"});  // 9 bytes + 24
  CHECK(t.argv_len_sums == 45);
  // PUBLISH may replicate: a CLIENT PAUSE WRITE holds the EXEC.
  CHECK((t.flags & herald::resp::kCmdMayReplicate) != 0);
  CHECK(t.memory_usage() >= sizeof(Transaction) + t.bytes.size());
}
