#include "gateway/http/mllp_framer.hpp"

#include <algorithm>

namespace gw::http {

void MllpFramer::flush_unframed(std::vector<MllpEvent>& out) {
  if (unframed_ > 0) {
    out.push_back(MllpEvent{MllpEvent::Kind::kUnframed, {}, unframed_});
    unframed_ = 0;
  }
}

std::vector<MllpEvent> MllpFramer::feed(std::string_view bytes) {
  std::vector<MllpEvent> out;
  std::size_t i = 0;
  while (i < bytes.size()) {
    switch (state_) {
      case State::kAfterEnd:
        state_ = State::kOutside;
        if (bytes[i] == kMllpCr) {
          ++i;
        }
        break;
      case State::kOutside: {
        const char c = bytes[i++];
        if (c == kMllpStart) {
          flush_unframed(out);
          state_ = State::kInside;
          buf_.clear();
        } else if (c != '\r' && c != '\n') {
          ++unframed_;
        }
        break;
      }
      case State::kInside: {
        const auto end = bytes.find(kMllpEnd, i);
        const auto chunk =
            bytes.substr(i, end == std::string_view::npos ? bytes.size() - i : end - i);
        if (buf_.size() + chunk.size() > max_) {
          const std::size_t keep =
              buf_.size() < kMllpKeptPrefix ? kMllpKeptPrefix - buf_.size() : 0;
          buf_.append(chunk.substr(0, std::min(keep, chunk.size())));
          discarded_ = buf_.size() + (chunk.size() - std::min(keep, chunk.size()));
          if (buf_.size() > kMllpKeptPrefix) {
            buf_.resize(kMllpKeptPrefix);
          }
          state_ = State::kDiscarding;
          i += chunk.size();
          break;
        }
        buf_.append(chunk);
        i += chunk.size();
        if (end != std::string_view::npos) {
          ++i;  // the FS
          out.push_back(MllpEvent{MllpEvent::Kind::kMessage, std::move(buf_), 0});
          out.back().bytes = out.back().data.size();
          buf_.clear();
          state_ = State::kAfterEnd;
        }
        break;
      }
      case State::kDiscarding: {
        const auto end = bytes.find(kMllpEnd, i);
        if (end == std::string_view::npos) {
          discarded_ += bytes.size() - i;
          i = bytes.size();
          break;
        }
        discarded_ += end - i;
        i = end + 1;
        out.push_back(MllpEvent{MllpEvent::Kind::kTooLarge, std::move(buf_), discarded_});
        buf_.clear();
        discarded_ = 0;
        state_ = State::kAfterEnd;
        break;
      }
    }
  }
  if (state_ == State::kOutside || state_ == State::kAfterEnd) {
    flush_unframed(out);
  }
  return out;
}

}  // namespace gw::http
