#include "resp/command_stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "resp/commands.h"

namespace herald::resp {

int LatencyHistogram::BucketOf(uint64_t ns) {
  constexpr uint64_t kSub = 1u << kSubBits;
  if (ns < kSub) return static_cast<int>(ns);
  int exponent = std::bit_width(ns) - 1;  // >= kSubBits
  int shift = exponent - kSubBits;
  uint64_t mantissa = (ns >> shift) & (kSub - 1);
  return ((shift + 1) << kSubBits) + static_cast<int>(mantissa);
}

uint64_t LatencyHistogram::UpperBound(int bucket) {
  constexpr uint64_t kSub = 1u << kSubBits;
  if (bucket < static_cast<int>(kSub)) return static_cast<uint64_t>(bucket);
  int shift = (bucket >> kSubBits) - 1;
  uint64_t mantissa = static_cast<uint64_t>(bucket) & (kSub - 1);
  uint64_t low = (kSub + mantissa) << shift;
  return low + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(uint64_t ns) {
  ++counts_[static_cast<size_t>(BucketOf(ns))];
  ++count_;
}

uint64_t LatencyHistogram::ValueAt(double percentile) const {
  if (count_ == 0) return 0;
  double wanted = std::ceil(percentile / 100.0 * static_cast<double>(count_));
  uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[static_cast<size_t>(i)];
    if (seen >= rank) return UpperBound(i);
  }
  return UpperBound(kBuckets - 1);
}

CommandStats::Entry& CommandStats::EntryFor(const Command* top, const Command* sub) {
  const Command* key = sub != nullptr ? sub : top;
  auto [it, added] = index_.try_emplace(key, entries_.size());
  if (added) {
    Entry& entry = entries_.emplace_back();
    entry.name = std::string(top->name);
    if (sub != nullptr) {
      entry.name += '|';
      entry.name += sub->name;
    }
  }
  return entries_[it->second];
}

void CommandStats::RecordCall(const Command* top, const Command* sub, uint64_t ns, bool failed) {
  Entry& entry = EntryFor(top, sub);
  ++entry.calls;
  entry.usec += ns / 1000;
  if (failed) ++entry.failed;
  if (!entry.latency) entry.latency = std::make_unique<LatencyHistogram>();
  entry.latency->Record(ns);
}

void CommandStats::RecordRejected(const Command* top, const Command* sub) {
  ++EntryFor(top, sub).rejected;
}

void CommandStats::RecordError(std::string_view text) {
  std::string_view head = text.substr(0, 32);
  size_t space = head.find(' ');
  std::string_view code = space == std::string_view::npos ? "ERR" : text.substr(0, space);
  auto it = errors_.find(code);
  if (it == errors_.end()) {
    if (errors_.size() >= kMaxErrorCodes) return;
    it = errors_.emplace(std::string(code), 0).first;
  }
  ++it->second;
}

void CommandStats::Reset() {
  index_.clear();
  entries_.clear();
  errors_.clear();
}

void CommandStats::WriteCommandStats(std::string* out) const {
  for (const Entry& e : entries_) {
    if (e.calls == 0 && e.rejected == 0 && e.failed == 0) continue;
    double per_call =
        e.calls == 0 ? 0.0 : static_cast<double>(e.usec) / static_cast<double>(e.calls);
    fmt::format_to(std::back_inserter(*out),
                   "cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},"
                   "failed_calls={}\r\n",
                   e.name, e.calls, e.usec, per_call, e.rejected, e.failed);
  }
}

void CommandStats::WriteErrorStats(std::string* out) const {
  for (const auto& [code, count] : errors_) {
    fmt::format_to(std::back_inserter(*out), "errorstat_{}:count={}\r\n", code, count);
  }
}

void CommandStats::WriteLatencyStats(std::string* out) const {
  // Redis's default latency-tracking-info-percentiles "50 99 99.9", in microseconds.
  for (const Entry& e : entries_) {
    if (!e.latency || e.latency->count() == 0) continue;
    fmt::format_to(std::back_inserter(*out),
                   "latency_percentiles_usec_{}:p50={:.3f},p99={:.3f},p99.9={:.3f}\r\n", e.name,
                   static_cast<double>(e.latency->ValueAt(50)) / 1000.0,
                   static_cast<double>(e.latency->ValueAt(99)) / 1000.0,
                   static_cast<double>(e.latency->ValueAt(99.9)) / 1000.0);
  }
}

}  // namespace herald::resp
