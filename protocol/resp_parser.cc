#include "protocol/resp_parser.h"

#include <algorithm>
#include <climits>

#include "protocol/numbers.h"

namespace herald::protocol {
namespace {

// Redis 7.0's texts (networking.c), sent as `-ERR <text>`.
constexpr std::string_view kInvalidMultibulkLength = "Protocol error: invalid multibulk length";
constexpr std::string_view kInvalidBulkLength = "Protocol error: invalid bulk length";
constexpr std::string_view kTooBigMultibulkCount = "Protocol error: too big mbulk count string";
constexpr std::string_view kTooBigBulkCount = "Protocol error: too big bulk count string";
constexpr std::string_view kTooBigInline = "Protocol error: too big inline request";
constexpr std::string_view kUnbalancedQuotes = "Protocol error: unbalanced quotes in request";
constexpr std::string_view kUnauthMultibulkLength =
    "Protocol error: unauthenticated multibulk length";
constexpr std::string_view kUnauthBulkLength = "Protocol error: unauthenticated bulk length";
constexpr std::string_view kExpectedDollarPrefix = "Protocol error: expected '$', got '";

// What an unauthenticated client may send (networking.c): at most this many arguments, each at
// most this long.
constexpr int64_t kUnauthMaxArgs = 10;
constexpr int64_t kUnauthMaxBulkLen = 16384;

// Arguments reserved up front for a `*<n>` header: a client announcing two billion arguments gets
// room only for what it actually sends.
constexpr size_t kMaxReservedArgs = 1024;
// Argument vectors grown past this by one huge request are released rather than kept per client.
constexpr size_t kMaxRetainedArgs = 4096;

// The bytes C's isspace() accepts in the "C" locale. sdssplitargs() skips these between
// arguments and requires one after a closing quote.
bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

const std::vector<std::string_view>& RequestParser::args() const {
  static const std::vector<std::string_view> kNone;
  return args_ != nullptr ? *args_ : kNone;
}

std::vector<std::string_view>& RequestParser::Args() {
  if (args_ == nullptr) {
    own_args_ = std::make_unique<std::vector<std::string_view>>();
    args_ = own_args_.get();
  }
  return *args_;
}

RequestResult RequestParser::Parse(std::string_view data, size_t* consumed) {
  *consumed = 0;
  std::vector<std::string_view>& args = Args();
  args.clear();
  if (args.capacity() > kMaxRetainedArgs) args = {};
  if (failed_) return RequestResult::kError;
  // Less data than was already examined breaks the calling contract; starting the request over
  // is cheap and keeps every offset inside `data`.
  if (data.size() < pos_ || data.size() < scan_pos_) ClearProgress();
  if (data.empty()) return RequestResult::kNeedMore;
  return data[0] == '*' ? ParseMultibulk(data, consumed) : ParseInline(data, consumed);
}

void RequestParser::Reset() {
  ClearProgress();
  failed_ = false;
  error_.clear();
  if (args_ != nullptr) args_->clear();
  if (inline_) {
    inline_->storage.clear();
    inline_->args.clear();
  }
}

void RequestParser::ClearProgress() {
  pos_ = 0;
  remaining_ = -1;
  bulk_len_ = -1;
  scan_pos_ = 0;
  scan_blocked_ = false;
  spans_.clear();
  if (spans_.capacity() > kMaxRetainedArgs) spans_ = {};
}

RequestResult RequestParser::Fail(std::string_view text) {
  ClearProgress();
  failed_ = true;
  error_.assign(text);
  return RequestResult::kError;
}

// Redis finds line ends with strchr() over its whole query buffer and reports a too big line only
// when that finds nothing and more than PROTO_INLINE_MAX_SIZE bytes are waiting. The same here:
//   - the terminator anywhere in what has arrived: kFound, however long the line (so a long line
//     passes when its end arrives before the buffer outgrows the limit without one);
//   - a NUL first: strchr() would stop there, so the terminator counts as absent for good;
//   - otherwise kTooBig once more than max_inline_len bytes are waiting, else kNeedMore.
RequestParser::LineScan RequestParser::FindLineEnd(std::string_view data, size_t start,
                                                   char terminator, size_t* end) {
  const size_t available = data.size() - start;
  const size_t limit = limits_.max_inline_len;
  if (!scan_blocked_) {
    size_t i = std::max(scan_pos_, start);
    for (; i < data.size(); ++i) {
      const char c = data[i];
      if (c == terminator) {
        scan_pos_ = i;
        *end = i;
        return LineScan::kFound;
      }
      if (c == '\0') {
        scan_blocked_ = true;
        break;
      }
    }
    scan_pos_ = i;
  }
  return available > limit ? LineScan::kTooBig : LineScan::kNeedMore;
}

// Outcomes, in the order Redis checks them:
//   no `\r` yet: kNeedMore, or "too big mbulk count string" past the limit;
//   `\r` is the last byte: kNeedMore (the byte after it is skipped unseen, CRLF or not);
//   count not a string2ll number or above INT_MAX: "invalid multibulk length";
//   unauthenticated and count above 10: "unauthenticated multibulk length";
//   count <= 0: kOk with no arguments, the header consumed;
// then per argument:
//   no `\r` yet: kNeedMore, or "too big bulk count string" past the limit;
//   `\r` is the last byte: kNeedMore;
//   first byte not `$`: "expected '$', got '<byte>'";
//   length not a number, negative or above max_bulk_len: "invalid bulk length";
//   unauthenticated and length above 16384: "unauthenticated bulk length";
//   payload plus two bytes not all here: kNeedMore (the two bytes are skipped, CRLF or not).
RequestResult RequestParser::ParseMultibulk(std::string_view data, size_t* consumed) {
  if (remaining_ < 0) {
    size_t cr = 0;
    switch (FindLineEnd(data, 0, '\r', &cr)) {
      case LineScan::kFound:
        break;
      case LineScan::kNeedMore:
        return RequestResult::kNeedMore;
      case LineScan::kTooBig:
        return Fail(kTooBigMultibulkCount);
    }
    if (cr + 1 >= data.size()) return RequestResult::kNeedMore;
    int64_t count = 0;
    // string2ll rules: no "+1", "01", "-0" or spaces, and at most 20 characters.
    if (!ParseInt64(data.substr(1, cr - 1), &count) || count > INT_MAX) {
      return Fail(kInvalidMultibulkLength);
    }
    if (limits_.unauthenticated && count > kUnauthMaxArgs) return Fail(kUnauthMultibulkLength);
    pos_ = cr + 2;
    scan_pos_ = pos_;
    if (count <= 0) {
      *consumed = pos_;
      ClearProgress();
      return RequestResult::kOk;
    }
    remaining_ = count;
    spans_.reserve(std::min(static_cast<size_t>(count), kMaxReservedArgs));
  }

  while (remaining_ > 0) {
    if (bulk_len_ < 0) {
      size_t cr = 0;
      switch (FindLineEnd(data, pos_, '\r', &cr)) {
        case LineScan::kFound:
          break;
        case LineScan::kNeedMore:
          return RequestResult::kNeedMore;
        case LineScan::kTooBig:
          return Fail(kTooBigBulkCount);
      }
      if (cr + 1 >= data.size()) return RequestResult::kNeedMore;
      if (data[pos_] != '$') {
        // Redis formats the byte with %c and then maps CR and LF in error texts to spaces.
        const char got = data[pos_] == '\r' || data[pos_] == '\n' ? ' ' : data[pos_];
        std::string text(kExpectedDollarPrefix);
        text.push_back(got);
        text.push_back('\'');
        return Fail(text);
      }
      int64_t len = 0;
      if (!ParseInt64(data.substr(pos_ + 1, cr - pos_ - 1), &len) || len < 0 ||
          static_cast<uint64_t>(len) > limits_.max_bulk_len) {
        return Fail(kInvalidBulkLength);
      }
      if (limits_.unauthenticated && len > kUnauthMaxBulkLen) return Fail(kUnauthBulkLength);
      pos_ = cr + 2;
      scan_pos_ = pos_;
      bulk_len_ = len;
    }
    // Compared as unsigned: bulk_len_ <= INT64_MAX, so adding 2 cannot wrap.
    if (data.size() - pos_ < static_cast<uint64_t>(bulk_len_) + 2) return RequestResult::kNeedMore;
    spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += static_cast<size_t>(bulk_len_) + 2;
    scan_pos_ = pos_;
    bulk_len_ = -1;
    --remaining_;
  }

  std::vector<std::string_view>& args = Args();
  args.reserve(spans_.size());
  for (const auto& [offset, len] : spans_) args.push_back(data.substr(offset, len));
  *consumed = pos_;
  ClearProgress();
  return RequestResult::kOk;
}

// Outcomes:
//   no `\n` yet: kNeedMore, or "too big inline request" past the limit;
//   bad quoting: "unbalanced quotes in request";
//   otherwise kOk with the words of the line (none for an empty or blank line); one `\r` before
//   the `\n` is not part of the line.
RequestResult RequestParser::ParseInline(std::string_view data, size_t* consumed) {
  size_t newline = 0;
  switch (FindLineEnd(data, 0, '\n', &newline)) {
    case LineScan::kFound:
      break;
    case LineScan::kNeedMore:
      return RequestResult::kNeedMore;
    case LineScan::kTooBig:
      return Fail(kTooBigInline);
  }
  size_t line_len = newline;
  if (line_len > 0 && data[line_len - 1] == '\r') --line_len;
  if (!SplitInline(data.substr(0, line_len))) return Fail(kUnbalancedQuotes);
  std::vector<std::string_view>& args = Args();
  args.reserve(inline_->args.size());
  for (const InlineArg& arg : inline_->args) {
    args.push_back(arg.in_storage ? std::string_view(inline_->storage).substr(arg.offset, arg.len)
                                  : data.substr(arg.offset, arg.len));
  }
  *consumed = newline + 1;
  ClearProgress();
  return RequestResult::kOk;
}

// sdssplitargs() rules, for a line that holds neither `\n` nor NUL (FindLineEnd stops at both):
//   - words are separated by isspace() bytes, but inside a word only space, tab and CR end it
//     (so a vertical tab or form feed in the middle of a word belongs to the word);
//   - a quote anywhere in a word opens a quoted part that is glued to the rest of the word:
//     `a"b c"` is the single word `ab c`;
//   - inside "...": \n \r \t \b \a, \xHH (two hex digits) and `\<any>` for the byte itself;
//     inside '...': only \' is an escape;
//   - a closing quote must be followed by isspace() or the end of the line, and an unclosed quote
//     fails: both are unbalanced quotes.
// Words without quotes stay views of the line, so common commands are not copied.
bool RequestParser::SplitInline(std::string_view line) {
  if (!inline_) inline_ = std::make_unique<InlineState>();
  inline_->storage.clear();
  inline_->args.clear();
  const size_t n = line.size();
  size_t i = 0;
  for (;;) {
    while (i < n && IsCSpace(line[i])) ++i;
    if (i == n) return true;

    enum class State { kPlain, kDouble, kSingle };
    State state = State::kPlain;
    const size_t start = i;
    size_t end = n;            // where a plain word ends in the line
    bool in_storage = false;   // set at the first quote: the word is rebuilt in storage from then
    size_t storage_start = 0;  // where the word starts in inline_->storage
    bool done = false;
    while (!done) {
      if (i == n) {
        if (state != State::kPlain) return false;
        break;
      }
      const char c = line[i];
      switch (state) {
        case State::kDouble:
          if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
              HexValue(line[i + 3]) >= 0) {
            inline_->storage.push_back(
                static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
            i += 4;
          } else if (c == '\\' && i + 1 < n) {
            char unescaped = line[i + 1];
            switch (unescaped) {
              case 'n':
                unescaped = '\n';
                break;
              case 'r':
                unescaped = '\r';
                break;
              case 't':
                unescaped = '\t';
                break;
              case 'b':
                unescaped = '\b';
                break;
              case 'a':
                unescaped = '\a';
                break;
              default:
                break;
            }
            inline_->storage.push_back(unescaped);
            i += 2;
          } else if (c == '"') {
            if (i + 1 < n && !IsCSpace(line[i + 1])) return false;
            ++i;
            done = true;
          } else {
            inline_->storage.push_back(c);
            ++i;
          }
          break;
        case State::kSingle:
          if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
            inline_->storage.push_back('\'');
            i += 2;
          } else if (c == '\'') {
            if (i + 1 < n && !IsCSpace(line[i + 1])) return false;
            ++i;
            done = true;
          } else {
            inline_->storage.push_back(c);
            ++i;
          }
          break;
        case State::kPlain:
          if (c == ' ' || c == '\t' || c == '\r') {
            end = i;
            ++i;
            done = true;
          } else if (c == '"' || c == '\'') {
            if (!in_storage) {
              in_storage = true;
              storage_start = inline_->storage.size();
              inline_->storage.append(line.substr(start, i - start));
            }
            state = c == '"' ? State::kDouble : State::kSingle;
            ++i;
          } else {
            if (in_storage) inline_->storage.push_back(c);
            ++i;
          }
          break;
      }
    }
    if (in_storage) {
      inline_->args.push_back({storage_start, inline_->storage.size() - storage_start, true});
    } else {
      inline_->args.push_back({start, end - start, false});
    }
  }
}

}  // namespace herald::protocol
