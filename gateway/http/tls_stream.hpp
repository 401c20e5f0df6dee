// The server's TLS stream: OpenSSL on the socket's descriptor (gateway/tls/fd_session.hpp) driven
// by waits on the socket's readiness, as nginx does, in place of Asio's ssl::stream, which keeps
// 34 KiB of its own buffers (and a 2 x 17 KiB BIO pair) for the life of every connection. An idle
// connection here holds the SSL object, the socket and one timer, and no I/O buffers: OpenSSL's
// are kept while the peer keeps the connection busy and given back once it has been quiet for
// kReleaseAfter.
// Included only by gateway/http/server.cpp (Asio stays in few translation units).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include <boost/asio/append.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/error.hpp>

#include "gateway/tls/fd_session.hpp"

namespace gw::http {
namespace detail {

/**
 * TlsState: what one connection's stream holds, shared with its timer's pending wait so that a
 * wait completing after the stream is gone finds live memory. Touched only on the connection's
 * strand.
 */
struct TlsState : std::enable_shared_from_this<TlsState> {
  using clock = std::chrono::steady_clock;
  /** kReleaseAfter: a connection that has waited this long for its peer gives its buffers back. */
  static constexpr clock::duration kReleaseAfter = std::chrono::milliseconds(100);

  TlsState(boost::asio::ip::tcp::socket s, ssl_ctx_st* ctx)
      : socket(non_blocking(std::move(s))),
        timer(socket.get_executor()),
        tls(ctx, socket.native_handle()) {}

  /** non_blocking: OpenSSL reads and writes the descriptor itself and must never block. */
  static boost::asio::ip::tcp::socket non_blocking(boost::asio::ip::tcp::socket s) {
    boost::system::error_code ec;
    (void)s.non_blocking(true, ec);
    return s;
  }

  /**
   * arm: makes sure the timer fires no later than the deadline (or the time to give the buffers
   * back) while an operation waits. The timer is set again only when that is earlier than the wait
   * already pending: a keep-alive connection moving its deadline forward on every request costs
   * nothing until the timer fires (and then it re-arms once for the new time).
   */
  void arm() {
    const clock::time_point due = std::min(deadline, release_at);
    if (due == clock::time_point::max() || armed <= due) {
      return;
    }
    armed = due;
    timer.expires_at(due);
    timer.async_wait([self = shared_from_this(), gen = ++generation](
                         const boost::system::error_code& ec) { self->on_timer(ec, gen); });
  }

  /**
   * on_timer: with an operation still waiting, gives the buffers back once the connection has been
   * quiet for kReleaseAfter, and past the deadline closes the socket (as beast::tcp_stream does).
   */
  void on_timer(const boost::system::error_code& ec, std::uint64_t gen) {
    if (gen != generation) {
      return;  // superseded by an earlier time
    }
    armed = clock::time_point::max();
    if (ec || waiting == 0) {
      return;  // cancelled, or nothing waits: the next wait sets the times again
    }
    const auto now = clock::now();
    if (now >= release_at) {
      release_at = clock::time_point::max();
      (void)tls.release_buffers();  // false: data in flight; the next quiet wait tries again
    }
    if (now >= deadline) {
      expire();
      return;
    }
    arm();
  }

  /** expire: the deadline passed; the waiting operation ends with beast::error::timeout. */
  void expire() {
    timed_out = true;
    boost::system::error_code ignored;
    (void)socket.close(ignored);
  }

  boost::asio::ip::tcp::socket socket;
  boost::asio::steady_timer timer;
  tls::FdSession tls;
  clock::time_point deadline = clock::time_point::max();
  clock::time_point release_at = clock::time_point::max();  // give the buffers back then
  clock::time_point armed = clock::time_point::max();       // expiry of the timer's pending wait
  std::uint64_t generation = 0;                             // of the timer's latest wait
  unsigned waiting = 0;  // operations waiting on the socket (0-2)
  bool timed_out = false;
};

/** kWriteScratch: writes of several small buffers are joined into one TLS record up to this. */
constexpr std::size_t kWriteScratch = std::size_t{16} * 1024;

/** write_scratch: a per-thread buffer for joining a write's buffers (used within one call). */
inline std::array<unsigned char, kWriteScratch>& write_scratch() {
  thread_local std::array<unsigned char, kWriteScratch> scratch{};
  return scratch;
}

/**
 * peek_scratch: where a wait for the peer's data peeks at it (see TlsOp::wait). What lands here is
 * never read: the peek only learns that bytes are there, and copies those of a typical request
 * whole, so that the reactor sees the socket drained and waits for its next event without another
 * system call. Shared by every connection on purpose (one static block instead of one per
 * connection).
 */
inline std::array<unsigned char, std::size_t{16} * 1024>& peek_scratch() {
  static std::array<unsigned char, std::size_t{16} * 1024> scratch{};
  return scratch;
}

/**
 * TlsOp: one stream operation: call OpenSSL; on WANT_READ/WANT_WRITE wait for the socket and
 * call again; complete with what OpenSSL reported. A result available at once is posted, never
 * delivered from inside the initiating call (as Asio's own streams do). A read (kWaitFirst) that
 * OpenSSL holds nothing for waits for the peer first: on a keep-alive connection the next request
 * is almost never there yet, and asking OpenSSL would only cost a read that finds nothing.
 */
template <class Action, bool kWithBytes, bool kWaitFirst = false>
class TlsOp {
public:
  TlsOp(TlsState& s, Action action) : s_(s), action_(std::move(action)) {}

  template <class Self>
  void operator()(Self& self, boost::system::error_code ec = {}, std::size_t n = 0) {
    if (phase_ == Phase::kPosted) {
      finish(self, ec, n);
      return;
    }
    if (phase_ == Phase::kWaiting) {
      --s_.waiting;
      // A peek that met the peer's FIN goes on to OpenSSL, which tells close_notify (eof) from a
      // close without one (truncation).
      if (ec && ec != boost::asio::error::eof) {
        finish(self, s_.timed_out ? boost::beast::error::timeout : ec, 0);
        return;
      }
    }
    if (!s_.socket.is_open()) {
      // Closed after a timeout: the descriptor number may already belong to another connection.
      soon(self,
           s_.timed_out ? boost::system::error_code(boost::beast::error::timeout)
                        : boost::system::error_code(boost::asio::error::bad_descriptor),
           0);
      return;
    }
    if constexpr (kWaitFirst) {
      if (phase_ == Phase::kStart && !s_.tls.has_pending()) {
        wait(self, tls::Want::kRead);
        return;
      }
    }
    const tls::Step st = action_(s_.tls);
    if (st.want == tls::Want::kNothing) {
      soon(self, st.ec, st.bytes);
      return;
    }
    wait(self, st.want);
  }

private:
  enum class Phase : unsigned char { kStart, kWaiting, kPosted };

  /**
   * wait: waits for the socket within the deadline. For data from the peer the wait is a peek
   * (an ordinary receive to Asio's reactor, which re-registers nothing with epoll while it waits;
   * a bare readiness wait costs an epoll_ctl each time); for room to write, a readiness wait.
   */
  template <class Self>
  void wait(Self& self, tls::Want want) {
    const auto now = TlsState::clock::now();
    if (now >= s_.deadline) {
      s_.expire();
      soon(self, boost::beast::error::timeout, 0);
      return;
    }
    if (want == tls::Want::kRead) {
      // Waiting for the peer: if it stays quiet, the buffers go back (see on_timer).
      s_.release_at = now + TlsState::kReleaseAfter;
    }
    s_.arm();
    ++s_.waiting;
    phase_ = Phase::kWaiting;
    if (want == tls::Want::kRead) {
      s_.socket.async_receive(boost::asio::buffer(peek_scratch()),
                              boost::asio::socket_base::message_peek, std::move(self));
      return;
    }
    s_.socket.async_wait(boost::asio::socket_base::wait_write, std::move(self));
  }

  template <class Self>
  void soon(Self& self, boost::system::error_code ec, std::size_t n) {
    if (phase_ == Phase::kStart) {
      phase_ = Phase::kPosted;
      boost::asio::post(s_.socket.get_executor(), boost::asio::append(std::move(self), ec, n));
      return;
    }
    finish(self, ec, n);
  }

  template <class Self>
  static void finish(Self& self, boost::system::error_code ec, std::size_t n) {
    if constexpr (kWithBytes) {
      self.complete(ec, n);
    } else {
      (void)n;
      self.complete(ec);
    }
  }

  TlsState& s_;
  Action action_;
  Phase phase_ = Phase::kStart;
};

/** ReadAction: SSL_read into the first non-empty buffer of the sequence. */
struct ReadAction {
  boost::asio::mutable_buffer buffer;
  tls::Step operator()(tls::FdSession& t) const {
    if (buffer.size() == 0) {
      return {};
    }
    return t.read(buffer.data(), buffer.size());
  }
};

/**
 * WriteAction: SSL_write of the sequence's bytes: the first buffer as it is when it is large
 * enough, otherwise up to one record's worth joined in the scratch buffer, so that a response's
 * header and small body leave as one record and one system call. A retry after WANT_WRITE joins
 * the same bytes again (same size, same contents).
 */
template <class ConstBufferSequence>
struct WriteAction {
  ConstBufferSequence buffers;
  tls::Step operator()(tls::FdSession& t) const {
    const std::size_t total = boost::asio::buffer_size(buffers);
    if (total == 0) {
      return {};
    }
    auto it = boost::asio::buffer_sequence_begin(buffers);
    while (boost::asio::const_buffer(*it).size() == 0) {
      ++it;
    }
    const boost::asio::const_buffer first(*it);
    const std::size_t want = std::min(total, kWriteScratch);
    if (first.size() >= want) {
      return t.write(first.data(), first.size());
    }
    auto& scratch = write_scratch();
    const std::size_t n =
        boost::asio::buffer_copy(boost::asio::buffer(scratch.data(), want), buffers);
    return t.write(scratch.data(), n);
  }
};

/** first_buffer: the first non-empty buffer of a sequence (empty when there is none). */
template <class MutableBufferSequence>
boost::asio::mutable_buffer first_buffer(const MutableBufferSequence& buffers) {
  const auto end = boost::asio::buffer_sequence_end(buffers);
  for (auto it = boost::asio::buffer_sequence_begin(buffers); it != end; ++it) {
    const boost::asio::mutable_buffer b(*it);
    if (b.size() != 0) {
      return b;
    }
  }
  return {};
}

}  // namespace detail

/**
 * TlsStream: the server side of a TLS connection as an AsyncReadStream/AsyncWriteStream (so
 * beast::http::async_read/async_write and asio::async_write work over it), with a deadline like
 * beast::tcp_stream's: expires_after() bounds every later wait until it is called again; when the
 * deadline passes while an operation waits, the socket is closed and the operation ends with
 * beast::error::timeout. At most one read and one write at a time; use from the connection's
 * strand only.
 */
class TlsStream {
public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;
  using clock = std::chrono::steady_clock;

  /** TlsStream: takes the accepted socket and makes a server SSL on it from `ctx`. */
  TlsStream(boost::asio::ip::tcp::socket socket, ssl_ctx_st* ctx)
      : s_(std::make_shared<detail::TlsState>(std::move(socket), ctx)) {}
  /** ~TlsStream: closes the socket at once (no close_notify: call async_shutdown first). */
  ~TlsStream() {
    boost::system::error_code ignored;
    (void)s_->timer.cancel();
    (void)s_->socket.close(ignored);
  }
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;
  TlsStream(TlsStream&&) = delete;
  TlsStream& operator=(TlsStream&&) = delete;

  [[nodiscard]] executor_type get_executor() noexcept { return s_->socket.get_executor(); }
  [[nodiscard]] boost::asio::ip::tcp::socket& socket() noexcept { return s_->socket; }
  /** native_handle: the SSL (peer certificate, verify result); may be nullptr if SSL_new failed. */
  [[nodiscard]] ssl_st* native_handle() const noexcept { return s_->tls.native_handle(); }

  /** expires_after: the deadline for the waits of the operations that follow. */
  void expires_after(clock::duration d) {
    s_->deadline = clock::now() + d;
    s_->timed_out = false;
  }
  /** expires_never: no deadline. */
  void expires_never() {
    s_->deadline = clock::time_point::max();
    s_->timed_out = false;
  }
  /** cancel: ends any operation waiting on the socket with operation_aborted. */
  void cancel() {
    boost::system::error_code ignored;
    (void)s_->socket.cancel(ignored);
  }

  /** async_handshake: the server handshake. Completion: void(error_code). */
  template <class Token>
  auto async_handshake(Token&& token) {
    auto action = [](tls::FdSession& t) { return t.handshake(); };
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        detail::TlsOp<decltype(action), false>(*s_, action), token, s_->socket);
  }

  /** async_read_some: decrypted bytes into the first non-empty buffer. */
  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        detail::TlsOp<detail::ReadAction, true, true>(
            *s_, detail::ReadAction{detail::first_buffer(buffers)}),
        token, s_->socket);
  }

  /** async_write_some: some of the bytes, up to one TLS record when they span several buffers. */
  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        detail::TlsOp<detail::WriteAction<ConstBufferSequence>, true>(
            *s_, detail::WriteAction<ConstBufferSequence>{buffers}),
        token, s_->socket);
  }

  /**
   * write_now: writes as much of `rest` as the socket takes without waiting, consuming what was
   * written, through the same steps as async_write_some: when a step would block, an
   * async_write_some of what is left repeats it with the same bytes, as OpenSSL requires. A
   * response that fits the socket's send buffer (nearly all of them on a keep-alive connection)
   * then costs no asynchronous operation, no posted completion and no coroutine suspension.
   * @return an error if the connection failed (none when a step would block).
   */
  template <class ConstBufferSequence>
  boost::system::error_code write_now(boost::beast::buffers_suffix<ConstBufferSequence>& rest) {
    while (boost::asio::buffer_size(rest) != 0) {
      if (!s_->socket.is_open()) {
        return boost::asio::error::bad_descriptor;
      }
      const tls::Step st =
          detail::WriteAction<boost::beast::buffers_suffix<ConstBufferSequence>>{rest}(s_->tls);
      if (st.ec || st.want != tls::Want::kNothing) {
        return st.ec;
      }
      rest.consume(st.bytes);
    }
    return {};
  }

  /** async_shutdown: sends close_notify and waits (within the deadline) for the peer's. */
  template <class Token>
  auto async_shutdown(Token&& token) {
    auto action = [](tls::FdSession& t) { return t.shutdown(); };
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        detail::TlsOp<decltype(action), false>(*s_, action), token, s_->socket);
  }

private:
  std::shared_ptr<detail::TlsState> s_;
};

}  // namespace gw::http
