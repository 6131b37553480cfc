#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/commands.h"

namespace herald::resp {

// MULTI: the commands queued until EXEC or DISCARD (Redis's multiState). Each command is kept as
// its command-table entries and its arguments, copied back to back into one buffer. Pure: the
// session decides what may be queued and enforces the memory limit.
struct Transaction {
  struct Queued {
    const Command* top;  // the command table's entry (static)
    const Command* sub;  // its subcommand's entry, or nullptr
    uint32_t first_arg;  // index of its first argument in arg_ends
    uint32_t argc;
  };
  std::vector<Queued> commands;
  std::string bytes;             // every queued argument, back to back
  std::vector<size_t> arg_ends;  // where each argument ends in `bytes`
  uint32_t flags = 0;            // the queued commands' flags, or-ed (CLIENT PAUSE WRITE on EXEC)
  bool dirty = false;            // a command was refused while queueing: EXEC aborts
  size_t argv_len_sums = 0;      // Redis's multi-mem: argument bytes + 8 per argument

  // Copies `args` in as one more command (`run` is `sub` if not null, else `top`).
  void Add(const Command* top, const Command* sub, CommandArgs args);
  // The arguments of `command`, as views into `bytes`: valid until the next Add().
  void Args(const Queued& command, std::vector<std::string_view>* out) const;
  // What the queue holds in memory, for CLIENT LIST tot-mem and the queue limit.
  size_t memory_usage() const;
};

}  // namespace herald::resp
