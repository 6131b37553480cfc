#include "replication/backlog.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace herald::repl {
namespace {

std::string Join(const std::vector<BacklogSlice>& slices) {
  std::string out;
  for (const BacklogSlice& s : slices) out.append(s.view());
  return out;
}

// Bytes that differ from position to position, so a slice off by one shows.
std::string Pattern(size_t n, size_t seed = 0) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + (i + seed) % 26));
  return s;
}

TEST_CASE("a new backlog is empty and can serve only the next byte") {
  Backlog backlog(100, 41);
  CHECK(backlog.master_repl_offset() == 41);
  CHECK(backlog.first_byte_offset() == 42);
  CHECK(backlog.histlen() == 0);
  CHECK(backlog.size_limit() == 100);
  CHECK(backlog.memory() == 0);
  CHECK_FALSE(backlog.CanServe(41));
  CHECK(backlog.CanServe(42));
  CHECK_FALSE(backlog.CanServe(43));
  std::vector<BacklogSlice> slices;
  CHECK(backlog.SlicesFrom(42, &slices));
  CHECK(slices.empty());
  CHECK_FALSE(backlog.SlicesFrom(43, &slices));
  CHECK(slices.empty());
}

TEST_CASE("appends fill blocks and report slices holding exactly the bytes") {
  Backlog backlog(1000, 0, 8);
  std::vector<BacklogSlice> slices;

  SUBCASE("within one block") {
    backlog.Append("abc", &slices);
    REQUIRE(slices.size() == 1);
    CHECK(slices[0].offset == 0);
    CHECK(slices[0].length == 3);
    CHECK(slices[0].view() == "abc");
    CHECK(backlog.block_count() == 1);
  }
  SUBCASE("filling the tail then spilling into a new block") {
    backlog.Append("abcde", nullptr);
    backlog.Append("fghij", &slices);
    REQUIRE(slices.size() == 2);
    CHECK(slices[0].view() == "fgh");
    CHECK(slices[0].offset == 5);
    CHECK(slices[1].view() == "ij");
    CHECK(slices[1].offset == 0);
    CHECK_FALSE(slices[0].block.same_block(slices[1].block));
    CHECK(backlog.block_count() == 2);
  }
  SUBCASE("exactly filling a block leaves the next append a fresh one") {
    backlog.Append("abcdefgh", &slices);
    backlog.Append("i", &slices);
    REQUIRE(slices.size() == 2);
    CHECK(slices[0].view() == "abcdefgh");
    CHECK(slices[1].view() == "i");
    CHECK(backlog.block_count() == 2);
  }
  SUBCASE("a big append gets one block of its own size") {
    backlog.Append("ab", nullptr);
    const std::string big = Pattern(50);
    backlog.Append(big, &slices);
    REQUIRE(slices.size() == 2);
    CHECK(slices[0].length == 6);
    CHECK(slices[1].length == 44);
    CHECK(slices[1].block.capacity() == 44);
    CHECK(Join(slices) == big);
  }
  SUBCASE("an empty append changes nothing") {
    backlog.Append("", &slices);
    CHECK(slices.empty());
    CHECK(backlog.master_repl_offset() == 0);
    CHECK(backlog.block_count() == 0);
  }
  SUBCASE("slices are appended to, not replacing, the caller's vector") {
    backlog.Append("ab", &slices);
    backlog.Append("cd", &slices);
    CHECK(slices.size() == 2);
    CHECK(Join(slices) == "abcd");
  }
}

TEST_CASE("slices handed out stay unchanged while the tail block keeps filling") {
  Backlog backlog(1000, 0, 16);
  std::vector<BacklogSlice> first;
  backlog.Append("hello", &first);
  backlog.Append(" world", nullptr);
  REQUIRE(first.size() == 1);
  CHECK(first[0].view() == "hello");
  // The block is shared: the backlog and the slice.
  CHECK(first[0].block.use_count() == 2);
}

TEST_CASE("offsets follow Redis: the first byte after Reset(n) is n + 1") {
  Backlog backlog(100, 0, 4);
  backlog.Append("0123456789", nullptr);
  CHECK(backlog.master_repl_offset() == 10);
  CHECK(backlog.first_byte_offset() == 1);
  CHECK(backlog.histlen() == 10);
  std::vector<BacklogSlice> slices;
  CHECK(backlog.SlicesFrom(1, &slices));
  CHECK(Join(slices) == "0123456789");
  slices.clear();
  CHECK(backlog.SlicesFrom(4, &slices));
  CHECK(Join(slices) == "3456789");
  slices.clear();
  CHECK(backlog.SlicesFrom(10, &slices));
  CHECK(Join(slices) == "9");
}

TEST_CASE("history is trimmed to size_limit byte-exactly, memory a whole block at a time") {
  Backlog backlog(20, 100, 8);
  const std::string data = Pattern(50);
  for (size_t at = 0; at < data.size(); at += 5) backlog.Append(data.substr(at, 5), nullptr);
  CHECK(backlog.master_repl_offset() == 150);
  CHECK(backlog.histlen() == 20);
  CHECK(backlog.first_byte_offset() == 131);

  // CanServe edges: [first, master_repl_offset + 1].
  CHECK_FALSE(backlog.CanServe(130));
  CHECK(backlog.CanServe(131));
  CHECK(backlog.CanServe(150));
  CHECK(backlog.CanServe(151));
  CHECK_FALSE(backlog.CanServe(152));
  CHECK_FALSE(backlog.CanServe(-1));

  // Every servable offset yields exactly the suffix of the stream.
  for (int64_t off = 131; off <= 151; ++off) {
    std::vector<BacklogSlice> slices;
    REQUIRE(backlog.SlicesFrom(off, &slices));
    CHECK(Join(slices) == data.substr(static_cast<size_t>(off - 101)));
  }
  // Only blocks holding history are kept: the head one may also hold older bytes and the tail
  // one free space, so at most limit + two blocks.
  CHECK(backlog.block_count() == 4);
  CHECK(backlog.memory() == 32);
}

TEST_CASE("a trimmed block stays alive while a replica queue holds a slice of it") {
  Backlog backlog(8, 0, 8);
  std::vector<BacklogSlice> queued;
  backlog.Append("ABCDEFGH", &queued);
  REQUIRE(queued.size() == 1);
  CHECK(queued[0].block.use_count() == 2);
  backlog.Append("12345678", nullptr);
  // The first block no longer holds history: the backlog let go of it ...
  CHECK(backlog.first_byte_offset() == 9);
  CHECK(backlog.block_count() == 1);
  CHECK(queued[0].block.use_count() == 1);
  // ... but the replica's slice still reads the same bytes (ASan would flag a freed block).
  CHECK(queued[0].view() == "ABCDEFGH");
  CHECK_FALSE(backlog.CanServe(8));
}

TEST_CASE("a partially trimmed head block is kept and served from the right byte") {
  Backlog backlog(10, 0, 8);
  backlog.Append("ABCDEFGH", nullptr);
  backlog.Append("1234", nullptr);
  CHECK(backlog.first_byte_offset() == 3);
  CHECK(backlog.block_count() == 2);
  std::vector<BacklogSlice> slices;
  REQUIRE(backlog.SlicesFrom(3, &slices));
  REQUIRE(slices.size() == 2);
  CHECK(slices[0].offset == 2);
  CHECK(Join(slices) == "CDEFGH1234");
}

TEST_CASE("Reset restarts the offsets and drops the history") {
  Backlog backlog(100, 0, 8);
  std::vector<BacklogSlice> queued;
  backlog.Append("some bytes", &queued);
  backlog.Reset(539);
  CHECK(backlog.master_repl_offset() == 539);
  CHECK(backlog.first_byte_offset() == 540);
  CHECK(backlog.histlen() == 0);
  CHECK(backlog.block_count() == 0);
  CHECK_FALSE(backlog.CanServe(5));
  CHECK(backlog.CanServe(540));
  CHECK(Join(queued) == "some bytes");
  backlog.Append("xyz", nullptr);
  std::vector<BacklogSlice> slices;
  REQUIRE(backlog.SlicesFrom(540, &slices));
  CHECK(Join(slices) == "xyz");
  CHECK(backlog.master_repl_offset() == 542);
}

TEST_CASE("Resize shrinks at once and grows from now on") {
  Backlog backlog(30, 0, 4);
  const std::string data = Pattern(30);
  backlog.Append(data, nullptr);
  backlog.Resize(10);
  CHECK(backlog.size_limit() == 10);
  CHECK(backlog.histlen() == 10);
  CHECK(backlog.first_byte_offset() == 21);
  CHECK(backlog.memory() <= 10 + 30);
  backlog.Resize(40);
  CHECK(backlog.histlen() == 10);
  backlog.Append(data, nullptr);
  CHECK(backlog.histlen() == 40);
  std::vector<BacklogSlice> slices;
  REQUIRE(backlog.SlicesFrom(backlog.first_byte_offset(), &slices));
  CHECK(Join(slices) == data.substr(20) + data);
}

TEST_CASE("a zero-sized backlog keeps no history but still hands out slices") {
  Backlog backlog(0, 7, 4);
  std::vector<BacklogSlice> slices;
  backlog.Append("abcdef", &slices);
  CHECK(Join(slices) == "abcdef");
  CHECK(backlog.histlen() == 0);
  CHECK(backlog.master_repl_offset() == 13);
  CHECK(backlog.CanServe(14));
  CHECK_FALSE(backlog.CanServe(13));
  CHECK(backlog.block_count() == 0);
}

TEST_CASE("a block sized to one big append is returned once it is mostly trimmed") {
  // The 64 MB PUBLISH of issue 9, scaled down: blocks of 8, history 100, one 10,000-byte append.
  Backlog backlog(100, 0, 8);
  const std::string big = Pattern(10'000);
  std::vector<BacklogSlice> held;
  backlog.Append(big, &held);
  REQUIRE(held.size() == 1);
  // The replica queue's slice still reads the whole append, although the backlog let go of it.
  CHECK(held[0].view() == big);
  CHECK(backlog.histlen() == 100);
  CHECK(backlog.memory() == 100);
  std::vector<BacklogSlice> slices;
  REQUIRE(backlog.SlicesFrom(backlog.first_byte_offset(), &slices));
  CHECK(Join(slices) == big.substr(big.size() - 100));

  // Small appends after it: the compacted head is compacted again while it drains, never
  // holding more dead bytes than live ones, and goes once it holds no history.
  std::string stream = big;
  for (int i = 0; i < 40; ++i) {
    const std::string piece = Pattern(5, stream.size());
    backlog.Append(piece, nullptr);
    stream += piece;
    CHECK(backlog.memory() <= 2 * 100 + 8);
    slices.clear();
    REQUIRE(backlog.SlicesFrom(backlog.first_byte_offset(), &slices));
    CHECK(Join(slices) == stream.substr(stream.size() - 100));
  }
  CHECK(backlog.memory() <= 100 + 2 * 8);
}

TEST_CASE("a big append into a backlog keeping no history keeps no memory") {
  Backlog backlog(0, 0, 8);
  std::vector<BacklogSlice> held;
  backlog.Append(Pattern(5000), &held);
  CHECK(backlog.memory() == 0);
  CHECK(backlog.block_count() == 0);
  CHECK(held[0].view() == Pattern(5000));
}

TEST_CASE("random appends match a model of the stream") {
  std::mt19937 rng(12345);
  for (int round = 0; round < 50; ++round) {
    const size_t block = 1 + rng() % 40;
    const size_t limit = rng() % 200;
    const int64_t initial = static_cast<int64_t>(rng() % 1000);
    Backlog backlog(limit, initial, block);
    std::string stream;
    std::string replica;  // what a replica queueing every slice would send
    for (int i = 0; i < 60; ++i) {
      const std::string piece = Pattern(rng() % 70, stream.size());
      std::vector<BacklogSlice> slices;
      backlog.Append(piece, &slices);
      CHECK(Join(slices) == piece);
      replica += Join(slices);
      stream += piece;
    }
    CHECK(replica == stream);
    CHECK(backlog.master_repl_offset() == initial + static_cast<int64_t>(stream.size()));
    CHECK(backlog.histlen() == static_cast<int64_t>(std::min(limit, stream.size())));
    CHECK(backlog.memory() <= 2 * limit + 2 * std::max<size_t>(block, 70));
    for (int64_t off = backlog.first_byte_offset(); off <= backlog.master_repl_offset() + 1;
         ++off) {
      std::vector<BacklogSlice> slices;
      REQUIRE(backlog.SlicesFrom(off, &slices));
      CHECK(Join(slices) == stream.substr(static_cast<size_t>(off - initial - 1)));
    }
    CHECK_FALSE(backlog.CanServe(backlog.first_byte_offset() - 1));
    CHECK_FALSE(backlog.CanServe(backlog.master_repl_offset() + 2));
  }
}

}  // namespace
}  // namespace herald::repl
