#include "resp/transaction.h"

namespace herald::resp {

void Transaction::Add(const Command* top, const Command* sub, CommandArgs args) {
  commands.push_back(
      {top, sub, static_cast<uint32_t>(arg_ends.size()), static_cast<uint32_t>(args.size())});
  size_t arg_bytes = 0;
  for (std::string_view arg : args) {
    bytes.append(arg);
    arg_ends.push_back(bytes.size());
    arg_bytes += arg.size();
  }
  flags |= (sub != nullptr ? sub : top)->flags;
  // Redis counts each argument's length and one robj pointer per argument.
  argv_len_sums += arg_bytes + sizeof(void*) * args.size();
}

void Transaction::Args(const Queued& command, std::vector<std::string_view>* out) const {
  out->clear();
  for (uint32_t i = command.first_arg; i < command.first_arg + command.argc; ++i) {
    size_t begin = i == 0 ? 0 : arg_ends[i - 1];
    out->emplace_back(bytes.data() + begin, arg_ends[i] - begin);
  }
}

size_t Transaction::memory_usage() const {
  return sizeof(Transaction) + bytes.capacity() + commands.capacity() * sizeof(Queued) +
         arg_ends.capacity() * sizeof(size_t);
}

}  // namespace herald::resp
