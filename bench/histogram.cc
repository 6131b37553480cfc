#include "bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace herald::bench {
namespace {

constexpr int kSubBits = 7;  // 128 buckets per power of two
constexpr uint64_t kSubCount = uint64_t{1} << kSubBits;
constexpr uint64_t kLinearLimit = 2 * kSubCount;  // values below this are exact
constexpr size_t kBuckets = kLinearLimit + (64 - kSubBits - 1) * kSubCount;

}  // namespace

Histogram::Histogram() : counts_(kBuckets, 0) {}

size_t Histogram::Index(uint64_t value) {
  if (value < kLinearLimit) return static_cast<size_t>(value);
  const int msb = 63 - std::countl_zero(value);  // >= kSubBits + 1
  const int shift = msb - kSubBits;              // >= 1
  const uint64_t mantissa = value >> shift;      // in [kSubCount, 2 * kSubCount)
  return static_cast<size_t>(kLinearLimit + (shift - 1) * kSubCount + (mantissa - kSubCount));
}

uint64_t Histogram::UpperEdge(size_t index) {
  if (index < kLinearLimit) return index;
  const uint64_t rel = index - kLinearLimit;
  const int shift = static_cast<int>(rel / kSubCount) + 1;
  const uint64_t mantissa = rel % kSubCount + kSubCount;
  return (mantissa << shift) + ((uint64_t{1} << shift) - 1);
}

void Histogram::Record(uint64_t value) {
  ++counts_[Index(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<double>(value);
}

void Histogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

uint64_t Histogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank is 1-based; ceil() so that p99 of 100 values is the 99th, not the 100th.
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(UpperEdge(i), max_);
  }
  return max_;
}

}  // namespace herald::bench
