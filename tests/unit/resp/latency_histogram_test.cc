#include <doctest/doctest.h>

#include "resp/command_stats.h"

using herald::resp::LatencyHistogram;

TEST_CASE("latency buckets cover every value within 12.5%") {
  for (uint64_t v : {0ull, 1ull, 7ull, 8ull, 9ull, 15ull, 16ull, 1000ull, 123456789ull,
                     (1ull << 40) + 12345, ~0ull}) {
    int b = LatencyHistogram::BucketOf(v);
    CHECK(b >= 0);
    CHECK(b < LatencyHistogram::kBuckets);
    uint64_t upper = LatencyHistogram::UpperBound(b);
    CHECK(upper >= v);
    CHECK(static_cast<double>(upper - v) <= static_cast<double>(v) / 8.0 + 1);
    if (b > 0) CHECK(LatencyHistogram::UpperBound(b - 1) < v);
  }
}

TEST_CASE("percentiles") {
  LatencyHistogram h;
  CHECK(h.ValueAt(50) == 0);
  for (int i = 0; i < 98; ++i) h.Record(1000);
  h.Record(100000);
  h.Record(10000000);
  CHECK(h.count() == 100);
  CHECK(h.ValueAt(50) >= 1000);
  CHECK(h.ValueAt(50) < 1125);
  CHECK(h.ValueAt(99) >= 100000);
  CHECK(h.ValueAt(99) < 112500);
  CHECK(h.ValueAt(99.9) >= 10000000);
  CHECK(h.ValueAt(100) == h.ValueAt(99.9));
}
