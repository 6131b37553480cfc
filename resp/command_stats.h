#pragma once

// INFO commandstats, errorstats and latencystats: per-command calls, time, rejections and
// failures, error replies by code, and per-command latency percentiles.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald::resp {

struct Command;

// Latencies in nanoseconds in logarithmic buckets: 8 per power of two, so a value is known to
// within 12.5% (Redis uses an HDR histogram of 2 significant digits; percentiles of the two
// agree to that precision). Fixed size, no allocation per record.
class LatencyHistogram {
 public:
  void Record(uint64_t ns);
  uint64_t count() const { return count_; }
  // The value at `percentile` (0..100]: the upper bound of the bucket that holds it, as HDR's
  // "highest equivalent value"; 0 when empty.
  uint64_t ValueAt(double percentile) const;

  static constexpr int kSubBits = 3;
  static constexpr int kBuckets = (64 - kSubBits + 1) << kSubBits;
  static int BucketOf(uint64_t ns);
  static uint64_t UpperBound(int bucket);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
};

class CommandStats {
 public:
  // Redis's ERROR_STATS_NUMBER: error codes beyond this many distinct ones are not listed
  // (total_error_replies still counts them).
  static constexpr size_t kMaxErrorCodes = 128;

  // A command (`sub` for a subcommand of `top`, else nullptr) ran for `ns` nanoseconds;
  // `failed` if it replied with an error.
  void RecordCall(const Command* top, const Command* sub, uint64_t ns, bool failed);
  // It was refused before running (arity, NOAUTH, subscribed context).
  void RecordRejected(const Command* top, const Command* sub);
  // An error reply `text` (without '-'): counted under its code, the text up to the first
  // space within 32 bytes, else "ERR" (Redis's afterErrorReply).
  void RecordError(std::string_view text);
  // CONFIG RESETSTAT.
  void Reset();

  // The INFO sections' bodies (after their "# Title" line).
  void WriteCommandStats(std::string* out) const;
  void WriteErrorStats(std::string* out) const;
  void WriteLatencyStats(std::string* out) const;

 private:
  struct Entry {
    std::string name;  // "publish", "client|list"
    uint64_t calls = 0;
    uint64_t usec = 0;
    uint64_t rejected = 0;
    uint64_t failed = 0;
    std::unique_ptr<LatencyHistogram> latency;  // created by the first call
  };
  Entry& EntryFor(const Command* top, const Command* sub);

  // Keyed by the static command-table row; kept in first-use order for INFO.
  std::unordered_map<const Command*, size_t> index_;
  std::vector<Entry> entries_;
  std::map<std::string, uint64_t, std::less<>> errors_;
};

}  // namespace herald::resp
