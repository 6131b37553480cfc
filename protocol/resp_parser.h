#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald::protocol {

// Limits a RequestParser enforces; the defaults are Redis 7.0's.
struct RequestLimits {
  // Largest bulk argument accepted (proto-max-bulk-len). Redis does not check it on its master
  // link; UINT64_MAX does the same here.
  uint64_t max_bulk_len = 512ull * 1024 * 1024;
  // How many bytes of an inline request or `*<n>` / `$<n>` header line may wait without their
  // line end (64 KiB). As in Redis, the error comes when more than this has arrived and none of
  // it ends the line; a longer line whose end arrives with the rest is parsed, so whether a line
  // over the limit passes depends on how it was split into reads (Redis's own behaviour).
  size_t max_inline_len = 64 * 1024;
  // Set while the client has not authenticated against a server with a password: then at most
  // 10 arguments of at most 16384 bytes each are accepted.
  bool unauthenticated = false;
};

enum class RequestResult {
  kOk,        // one request parsed; `consumed` bytes belong to it; args() holds its arguments
              // (possibly none: an empty inline line or `*0` / `*-1`, which Redis ignores).
  kNeedMore,  // the request is not complete yet; nothing consumed.
  kError,     // protocol error; error() holds Redis's text, e.g.
              // "Protocol error: invalid multibulk length". The connection must be closed
              // after replying `-ERR <text>`.
};

// Incremental parser for client requests in Redis's two shapes: multibulk (`*<n>\r\n$<len>\r\n
// <bytes>\r\n...`) when the first byte is `*`, inline (space separated, sdssplitargs quoting)
// otherwise. Keeps its progress between calls so a request split at any byte costs O(bytes).
//
// Usage: call Parse() with all unconsumed input, starting at the first byte of the current request.
// After kNeedMore, call again later with the same bytes plus whatever arrived since (the buffer may
// have moved; the parser keeps offsets, not pointers). After kOk, args() views point into `data`
// (or into the parser's own storage for unescaped inline arguments) and stay valid until the next
// Parse() or Reset(); the caller drops `consumed` bytes before the next call.
// After kError the parser must not be used again until Reset().
//
// Quirk kept from Redis, which looks for line ends with strchr(): a NUL byte in an inline line or
// in a `*<n>` / `$<n>` header hides the line end, so such a request waits for more input until it
// exceeds max_inline_len and fails as too big. NULs inside bulk payloads are fine. Also as in
// Redis, the byte after the CR ending a `*<n>` / `$<n>` header and the two bytes after a bulk
// payload are skipped without being checked for LF / CRLF.
class RequestParser {
 public:
  explicit RequestParser(RequestLimits limits = {}) : limits_(limits) {}
  // Not copyable: args_ may be shared storage.
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses the request at the start of `data` (see the class comment for the calling pattern).
  // Sets *consumed to the request's length on kOk and to 0 otherwise. Reads only inside `data`
  // and keeps no pointer into it beyond the views in args().
  RequestResult Parse(std::string_view data, size_t* consumed);

  // The arguments of the request the last Parse() returned kOk for; empty otherwise.
  const std::vector<std::string_view>& args() const;
  // Makes the parser put args() into `storage` (which must outlive it) instead of a vector of
  // its own. A server whose connections run their commands one at a time gives them all the
  // same one, so an idle connection carries no argument vector.
  void set_args_storage(std::vector<std::string_view>* storage) { args_ = storage; }
  // Redis's text for the last kError, without the leading "ERR "; empty otherwise. Never holds
  // CR or LF (Redis shows them as spaces), so it can be sent as `-ERR <text>\r\n` as is.
  std::string_view error() const { return error_; }

  // Forgets any partial request (e.g. after an error, or when the limits change).
  void Reset();
  RequestLimits& limits() { return limits_; }

 private:
  // Outcome of looking for the byte that ends a header or inline line.
  enum class LineScan {
    kFound,     // the terminator is at the returned offset
    kNeedMore,  // not found yet, and the line may still end within the limit
    kTooBig,    // more than max_inline_len bytes and no terminator among the first ones
  };

  // Where an inline argument's bytes are: plain words stay in the caller's buffer, words that
  // had quotes are unescaped into inline_storage_.
  struct InlineArg {
    size_t offset;
    size_t len;
    bool in_storage;
  };

  RequestResult ParseInline(std::string_view data, size_t* consumed);
  RequestResult ParseMultibulk(std::string_view data, size_t* consumed);
  // Looks for `terminator` in the line starting at data[start], resuming where the last call
  // stopped (scan_pos_), so each byte of a slowly arriving line is examined once.
  LineScan FindLineEnd(std::string_view data, size_t start, char terminator, size_t* end);
  // Splits an inline line the way Redis's sdssplitargs() does into inline_args_; false on
  // unbalanced quotes.
  bool SplitInline(std::string_view line);
  RequestResult Fail(std::string_view text);
  // Forgets the partial request (not args_, which the caller may still be reading).
  void ClearProgress();

  RequestLimits limits_;
  // Multibulk progress, kept across kNeedMore, as offsets from the start of the request:
  // position of the next unparsed byte, arguments still expected (-1: `*<n>` not read yet),
  // length of the bulk whose `$<len>` header was read (-1: none), argument spans.
  size_t pos_ = 0;
  int64_t remaining_ = -1;
  int64_t bulk_len_ = -1;
  std::vector<std::pair<size_t, size_t>> spans_;
  // Line-end search progress: next offset to examine, and whether a NUL byte was met first
  // (Redis searches with strchr(), which never gets past a NUL; see FindLineEnd).
  size_t scan_pos_ = 0;
  bool scan_blocked_ = false;
  bool failed_ = false;
  // Where args() live: the storage set_args_storage() gave, else own_args_ (made on first use).
  std::vector<std::string_view>& Args();
  std::vector<std::string_view>* args_ = nullptr;
  std::unique_ptr<std::vector<std::string_view>> own_args_;
  // Inline commands (telnet, redis-benchmark's PING_INLINE) are rare: their scratch space is
  // allocated on first use, so a connection that never sends one does not carry it.
  struct InlineState {
    std::string storage;
    std::vector<InlineArg> args;
  };
  std::unique_ptr<InlineState> inline_;
  std::string error_;
};

}  // namespace herald::protocol
