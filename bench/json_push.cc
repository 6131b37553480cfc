#include "bench/json_push.h"

#include <cstdint>
#include <cstring>

namespace herald::bench {
namespace {

// A cursor over the text; every function returns false on malformed input.
class Scanner {
 public:
  Scanner(std::string_view text, std::string* scratch) : text_(text), scratch_(scratch) {}

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }

  bool AtEnd() {
    SkipSpace();
    return pos_ == text_.size();
  }

  // A string at the cursor: a view into the text when it has no escapes, otherwise decoded
  // into the scratch buffer (reserved to the text's size, so views into it stay valid).
  bool String(std::string_view* out) {
    if (!Consume('"')) return false;
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\\') ++pos_;
    if (pos_ >= text_.size()) return false;
    if (text_[pos_] == '"') {
      *out = text_.substr(start, pos_ - start);
      ++pos_;
      return true;
    }
    const size_t at = scratch_->size();
    scratch_->append(text_.data() + start, pos_ - start);
    while (pos_ < text_.size() && text_[pos_] != '"') {
      const char c = text_[pos_++];
      if (c != '\\') {
        scratch_->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          scratch_->push_back(e);
          break;
        case 'b':
          scratch_->push_back('\b');
          break;
        case 'f':
          scratch_->push_back('\f');
          break;
        case 'n':
          scratch_->push_back('\n');
          break;
        case 'r':
          scratch_->push_back('\r');
          break;
        case 't':
          scratch_->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xd800 && cp < 0xdc00) {
            uint32_t low;
            if (pos_ + 2 > text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') {
              return false;
            }
            pos_ += 2;
            if (!Hex4(&low) || low < 0xdc00 || low >= 0xe000) return false;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          AppendUtf8(cp);
          break;
        }
        default:
          return false;
      }
    }
    if (pos_ >= text_.size()) return false;
    ++pos_;
    *out = std::string_view(scratch_->data() + at, scratch_->size() - at);
    return true;
  }

  // Skips any JSON value (numbers, literals, strings, nested arrays and objects).
  bool SkipValue() {
    SkipSpace();
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '"') {
      std::string_view ignored;
      return String(&ignored);
    }
    if (c == '{' || c == '[') {
      int depth = 0;
      while (pos_ < text_.size()) {
        const char d = text_[pos_];
        if (d == '"') {
          std::string_view ignored;
          if (!String(&ignored)) return false;
          continue;
        }
        ++pos_;
        if (d == '{' || d == '[') ++depth;
        if (d == '}' || d == ']') {
          if (--depth == 0) return true;
        }
      }
      return false;
    }
    // A number or a literal: up to the next delimiter.
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' && text_[pos_] != ']' &&
           text_[pos_] != ' ') {
      ++pos_;
    }
    return pos_ > start;
  }

 private:
  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    *out = v;
    return true;
  }

  void AppendUtf8(uint32_t cp) {
    std::string& s = *scratch_;
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      s.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      s.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  std::string_view text_;
  std::string* scratch_;
  size_t pos_ = 0;
};

}  // namespace

bool ReadJsonPush(std::string_view text, std::string* scratch, JsonPush* out) {
  *out = JsonPush{};
  scratch->clear();
  // Decoded strings are never longer than their escaped form, so this one reservation keeps
  // every view into the scratch buffer valid.
  scratch->reserve(text.size());
  Scanner s(text, scratch);
  if (!s.Consume('{')) return false;
  if (s.Consume('}')) return s.AtEnd();
  for (;;) {
    std::string_view key;
    if (!s.String(&key) || !s.Consume(':')) return false;
    std::string_view* want = nullptr;
    if (key == "type") {
      want = &out->type;
    } else if (key == "channel") {
      want = &out->channel;
    } else if (key == "data") {
      want = &out->data;
      out->has_data = true;
    } else if (key == "message") {
      want = &out->message;
    }
    if (want != nullptr) {
      if (!s.Peek('"') || !s.String(want)) return false;
    } else if (!s.SkipValue()) {
      return false;
    }
    if (s.Consume(',')) continue;
    if (!s.Consume('}')) return false;
    return s.AtEnd();
  }
}

bool MatchJsonMessage(std::string_view text, std::string_view prefix, size_t size,
                      std::string_view* data) {
  if (text.size() < prefix.size() + size + 1 ||
      std::memcmp(text.data(), prefix.data(), prefix.size()) != 0 ||
      text[prefix.size() + size] != '"') {
    return false;
  }
  const char* p = text.data() + prefix.size();
  if (std::memchr(p, '"', size) != nullptr || std::memchr(p, '\\', size) != nullptr) return false;
  *data = std::string_view(p, size);
  return true;
}

}  // namespace herald::bench
