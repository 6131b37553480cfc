#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace herald::protocol {

// What an incremental UTF-8 check has concluded so far.
enum class Utf8Result {
  kComplete,    // every byte so far is valid and the last one ends a code point
  kIncomplete,  // valid so far, but the last code point still needs continuation bytes
  kInvalid,     // some byte can never be part of well-formed UTF-8 (RFC 3629): a stray
                // continuation, C0/C1/F5..FF, an overlong form, a surrogate (U+D800..U+DFFF) or a
                // code point above U+10FFFF
};

// Incremental UTF-8 validator for text that arrives in pieces (WebSocket text frames, fragments
// of one message, TCP reads of one frame). Fail-fast: a sequence is rejected at the first byte
// that no valid continuation could follow, not at the end of the code point or of the text, which
// is what Autobahn section 6 checks (e.g. F4 90 is rejected at the 90, ED A0 at the A0).
//
// Holds a single byte of state; no allocation. Once kInvalid is returned, every later Feed()
// returns kInvalid until Reset().
class Utf8Validator {
 public:
  // Checks `bytes`, continuing the code point the previous call may have left open. On kInvalid,
  // sets *invalid_at (when given) to the index in `bytes` of the byte that made the text invalid
  // (0 when the validator had already failed); otherwise leaves it untouched.
  Utf8Result Feed(std::string_view bytes, size_t* invalid_at = nullptr);

  // True when everything fed so far is valid and ends on a code point boundary, i.e. the text
  // could end here (an empty text is complete).
  bool complete() const { return state_ == State::kBoundary; }
  bool failed() const { return state_ == State::kInvalid; }

  // Starts a new text.
  void Reset() { state_ = State::kBoundary; }

 private:
  // Position inside the current code point, named after what the next byte must be.
  enum class State : uint8_t {
    kBoundary,  // between code points: any of 00..7F, C2..DF, E0..EF, F0..F4 may start the next
    kTail1,     // one more continuation byte (80..BF) ends the code point
    kTail2,     // two more continuation bytes
    kTail3,     // three more continuation bytes (after F1..F3)
    kAfterE0,   // after E0: A0..BF (80..9F would be an overlong 3-byte form), then one tail
    kAfterED,   // after ED: 80..9F (A0..BF would encode a surrogate), then one tail
    kAfterF0,   // after F0: 90..BF (80..8F would be an overlong 4-byte form), then two tails
    kAfterF4,   // after F4: 80..8F (90..BF would exceed U+10FFFF), then two tails
    kInvalid,   // a byte was rejected; sticky until Reset()
  };

  State state_ = State::kBoundary;
};

// Whether `text` as a whole is well-formed UTF-8 (complete, nothing invalid).
bool IsValidUtf8(std::string_view text);

}  // namespace herald::protocol
