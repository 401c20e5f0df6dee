// OpenSSL on a socket descriptor, one non-blocking step at a time (see fd_session.hpp).
#include "gateway/tls/fd_session.hpp"

#include <cerrno>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace gw::tls {
namespace {

/**
 * clear_errors: empties this thread's OpenSSL error queue before a call, so that SSL_get_error
 * reads this call's outcome only. Nearly always the queue is already empty (every error is taken
 * off it where it happens), and emptying an empty queue costs more than looking: ERR_clear_error
 * resets all sixteen slots.
 */
void clear_errors() {
  if (ERR_peek_error() != 0) {
    ERR_clear_error();
  }
}

/** ssl_error: an OpenSSL error code as Asio's ssl::stream reports it. */
boost::system::error_code ssl_error(unsigned long e) {
  return {static_cast<int>(e), boost::asio::error::get_ssl_category()};
}

}  // namespace

FdSession::FdSession(SSL_CTX* ctx, int fd) : ssl_(SSL_new(ctx)) {
  if (ssl_ != nullptr && SSL_set_fd(ssl_, fd) != 1) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (ssl_ != nullptr) {
    SSL_set_accept_state(ssl_);
    // A write that waited is retried with the same bytes, possibly from another buffer.
    SSL_set_mode(ssl_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Buffers are kept while the connection is busy and released when it goes quiet (the stream
    // calls release_buffers), not after every record as the context's default would have it.
    SSL_clear_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
    // Read what the socket has (up to a record buffer) in one system call, not header then body.
    SSL_set_read_ahead(ssl_, 1);
  }
  ERR_clear_error();
}

FdSession::~FdSession() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);  // the descriptor is not ours (BIO_NOCLOSE): the socket closes it
  }
}

bool FdSession::has_pending() const { return ssl_ != nullptr && SSL_has_pending(ssl_) == 1; }

bool FdSession::release_buffers() { return ssl_ == nullptr || SSL_free_buffers(ssl_) == 1; }

Step FdSession::handshake() {
  if (ssl_ == nullptr) {
    return {Want::kNothing, 0, ssl_error(ERR_PACK(ERR_LIB_SSL, 0, ERR_R_MALLOC_FAILURE))};
  }
  clear_errors();
  errno = 0;
  const int r = SSL_do_handshake(ssl_);
  const int sys = errno;
  if (r == 1) {
    return {};
  }
  return finish(r, 0, sys);
}

Step FdSession::read(void* data, std::size_t size) {
  if (ssl_ == nullptr) {
    return handshake();
  }
  clear_errors();
  errno = 0;
  std::size_t n = 0;
  const int r = SSL_read_ex(ssl_, data, size, &n);
  const int sys = errno;
  if (r == 1) {
    return {Want::kNothing, n, {}};
  }
  return finish(r, 0, sys);
}

Step FdSession::write(const void* data, std::size_t size) {
  if (ssl_ == nullptr) {
    return handshake();
  }
  clear_errors();
  errno = 0;
  std::size_t n = 0;
  const int r = SSL_write_ex(ssl_, data, size, &n);
  const int sys = errno;
  if (r == 1) {
    return {Want::kNothing, n, {}};
  }
  return finish(r, 0, sys);
}

Step FdSession::shutdown() {
  if (ssl_ == nullptr) {
    return handshake();
  }
  if (failed_) {
    return {Want::kNothing, 0, boost::asio::error::not_connected};
  }
  clear_errors();
  errno = 0;
  int r = SSL_shutdown(ssl_);
  if (r == 0) {
    r = SSL_shutdown(ssl_);  // close_notify sent: now read the peer's
  }
  const int sys = errno;
  if (r >= 0) {
    ERR_clear_error();
    return {};
  }
  return finish(r, 0, sys);
}

Step FdSession::finish(int result, std::size_t bytes, int sys_errno) {
  Step s;
  s.bytes = bytes;
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      s.want = Want::kRead;
      break;
    case SSL_ERROR_WANT_WRITE:
      s.want = Want::kWrite;
      break;
    case SSL_ERROR_ZERO_RETURN:
      s.ec = boost::asio::error::eof;  // the peer's close_notify
      break;
    case SSL_ERROR_SYSCALL: {
      failed_ = true;
      if (const unsigned long e = ERR_get_error(); e != 0) {
        s.ec = ssl_error(e);
      } else if (sys_errno != 0) {
        s.ec = {sys_errno, boost::system::system_category()};
      } else {
        s.ec = boost::asio::ssl::error::stream_truncated;
      }
      break;
    }
    default: {
      failed_ = true;
      const unsigned long e = ERR_get_error();
      // OpenSSL 3 reports a TCP close without close_notify this way; Asio calls it truncation.
      s.ec = ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING
                 ? boost::system::error_code(boost::asio::ssl::error::stream_truncated)
                 : ssl_error(e != 0 ? e : ERR_PACK(ERR_LIB_SSL, 0, ERR_R_INTERNAL_ERROR));
      break;
    }
  }
  if (s.want == Want::kNothing) {
    ERR_clear_error();  // nothing of this connection's is left for the next one on this thread
  }
  return s;
}

}  // namespace gw::tls
