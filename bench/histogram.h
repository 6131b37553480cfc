#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace herald::bench {

// Log-linear histogram of unsigned values (nanoseconds here), in the spirit of HdrHistogram:
// values below 256 get one bucket each; above that every power of two is split into 128 equal
// buckets, so a reported value is within 1/128 (< 0.8 %) above the recorded one.
//
//   index:  0 .. 255 | 256 .. 383      | 384 .. 511      | ... | 7296 .. 7423
//   values: 0 .. 255 | [256,512) by 2  | [512,1024) by 4 | ... | [2^63, 2^64) by 2^56
//
// Memory is fixed (7424 counters, ~58 KiB) and Record() is O(1) without allocation, so it can sit
// on the per-delivery path.
class Histogram {
 public:
  Histogram();

  void Record(uint64_t value);
  void Reset();
  // Adds every value recorded in `other` (for per-thread histograms).
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  // Exact extremes of the recorded values; 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }

  // The value at quantile q (0 < q <= 1): the upper edge of the bucket holding the
  // ceil(q * count)-th smallest value, capped at max(). Never below the true value. 0 when empty.
  uint64_t Quantile(double q) const;

 private:
  static size_t Index(uint64_t value);
  static uint64_t UpperEdge(size_t index);

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace herald::bench
