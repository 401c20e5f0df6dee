// MLLP (HL7 v2 Minimal Lower Layer Protocol) framing: VT <message> FS CR. Pure: bytes in,
// complete messages and dropped input out; the MLLP listener (server.cpp) does the I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gw::http {

inline constexpr char kMllpStart = '\x0b';  // VT
inline constexpr char kMllpEnd = '\x1c';    // FS
inline constexpr char kMllpCr = '\x0d';     // CR after FS
/** kMllpKeptPrefix: how much of an oversized message is kept (enough for its MSH, to NAK it). */
inline constexpr std::size_t kMllpKeptPrefix = 4096;

/** MllpEvent: a whole message, or input that was dropped and why. */
struct MllpEvent {
  enum class Kind : unsigned char {
    kMessage,   // `data` is the message between VT and FS
    kTooLarge,  // a frame longer than the limit: `data` is its first kMllpKeptPrefix bytes
    kUnframed,  // bytes outside any frame (not VT-started): `bytes` of them were dropped
  } kind = Kind::kMessage;
  std::string data{};
  std::size_t bytes = 0;  // the size of what was received for this event
};

/**
 * MllpFramer: reassembles frames across reads (partial frames, several frames per read). Line
 * ends between frames are ignored; any other byte outside a frame is dropped and reported. A
 * frame over `max_message` bytes is dropped up to its FS (the connection can carry on). An FS
 * not followed by CR still ends the frame (some senders omit the CR).
 * Thread safety: one connection's, one thread at a time.
 */
class MllpFramer {
public:
  explicit MllpFramer(std::size_t max_message) : max_(max_message) {}

  /** feed: the events completed by `bytes`, in order. */
  [[nodiscard]] std::vector<MllpEvent> feed(std::string_view bytes);

  /** in_frame: true while a frame is open (a read timeout then is a stalled sender). */
  [[nodiscard]] bool in_frame() const { return state_ != State::kOutside; }

private:
  enum class State : unsigned char { kOutside, kInside, kDiscarding, kAfterEnd };
  void flush_unframed(std::vector<MllpEvent>& out);

  std::size_t max_;
  State state_ = State::kOutside;
  std::string buf_{};
  std::size_t unframed_ = 0;
  std::size_t discarded_ = 0;
};

}  // namespace gw::http
