#include "server/out_queue.h"

#include <doctest/doctest.h>

#include <string>

namespace herald::server {
namespace {

// Gathers everything queued (after `skip`) into one string.
std::string Contents(const OutQueue& queue, size_t skip = 0) {
  iovec iov[64];
  size_t total = 0;
  size_t n = queue.Gather(skip, iov, 64, &total);
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(static_cast<char*>(iov[i].iov_base), iov[i].iov_len);
  CHECK(out.size() == total);
  return out;
}

TEST_CASE("small appends share one chunk piece") {
  OutQueue queue;
  queue.Append("+OK\r\n");
  queue.Append(":1\r\n");
  CHECK(queue.pieces() == 1);
  CHECK(queue.bytes() == 9);
  CHECK(Contents(queue) == "+OK\r\n:1\r\n");
}

TEST_CASE("shared frames are referenced, not copied, and interleave in order") {
  OutQueue queue;
  auto frame = protocol::SharedBytes::Copy("FRAME");
  queue.Append("a");
  queue.AppendShared(frame);
  queue.Append("b");
  CHECK(frame.use_count() == 2);
  CHECK(queue.pieces() == 3);
  CHECK(Contents(queue) == "aFRAMEb");
  CHECK(Contents(queue, 3) == "AMEb");
  queue.Consume(4);
  CHECK(Contents(queue) == "MEb");
  queue.Consume(3);
  CHECK(queue.empty());
  CHECK(frame.use_count() == 1);
}

TEST_CASE("appends larger than a chunk span several pieces") {
  OutQueue queue;
  std::string big(OutQueue::kChunkSize * 2 + 10, 'x');
  queue.Append("head");
  queue.Append(big);
  CHECK(queue.bytes() == big.size() + 4);
  CHECK(Contents(queue) == "head" + big);
  queue.Consume(queue.bytes());
  CHECK(queue.empty());
  CHECK(queue.pieces() == 0);
}

TEST_CASE("a long-lived backlog of pieces is compacted as it drains") {
  OutQueue queue;
  auto frame = protocol::SharedBytes::Copy("0123456789");
  for (int i = 0; i < 1000; ++i) queue.AppendShared(frame);
  for (int i = 0; i < 990; ++i) {
    queue.Consume(10);
    queue.AppendShared(frame);
  }
  CHECK(queue.pieces() == 1000);
  CHECK(queue.bytes() == 10000);
  CHECK(frame.use_count() == 1001);
  queue.Clear();
  CHECK(frame.use_count() == 1);
}

}  // namespace
}  // namespace herald::server
