// The server side of one TLS connection run by OpenSSL directly on a non-blocking socket
// (SSL_set_fd), as nginx does: no buffers of ours, and OpenSSL's own read/write buffers given back
// when the connection is idle (release_buffers). Each call makes what progress it can without
// blocking and says what it waits for; the caller (gateway/http/tls_stream.hpp) waits on the
// socket and calls again. OpenSSL stays in gateway/tls.
#pragma once

#include <cstddef>

#include <boost/system/error_code.hpp>

struct ssl_st;      // OpenSSL's SSL
struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace gw::tls {

/** Want: what a step needs before it can go on. */
enum class Want : unsigned char { kNothing, kRead, kWrite };

/** Step: the outcome of one non-blocking call: bytes moved, or what to wait for, or an error. */
struct Step {
  Want want = Want::kNothing;
  std::size_t bytes = 0;
  boost::system::error_code ec;
};

/**
 * FdSession: an SSL object in server (accept) mode attached to a socket descriptor it does not
 * own. Errors use the codes Asio's ssl::stream reports, so callers and handshake_failure_reason
 * read them alike: the peer's close_notify is `asio::error::eof`, a TCP close without one is
 * `asio::ssl::error::stream_truncated`, a reset is `connection_reset`, and an OpenSSL failure is
 * its first queued error in Asio's SSL category. OpenSSL's per-thread error queue is emptied after
 * every call, so one connection's error never shows in another's.
 * Not thread-safe: one caller at a time (one strand per connection).
 */
class FdSession {
public:
  /**
   * FdSession: a new SSL from `ctx` on descriptor `fd` (which must be non-blocking).
   * When OpenSSL cannot make one, every step fails with an SSL-category error.
   */
  FdSession(ssl_ctx_st* ctx, int fd);
  ~FdSession();
  FdSession(const FdSession&) = delete;
  FdSession& operator=(const FdSession&) = delete;

  /** handshake: runs the server handshake (client certificate verified per the context). */
  [[nodiscard]] Step handshake();
  /** read: decrypts up to `size` bytes of application data into `data`. */
  [[nodiscard]] Step read(void* data, std::size_t size);
  /**
   * write: encrypts and sends `size` bytes. After kWrite, call again with the same bytes and size
   * (the buffer may move).
   */
  [[nodiscard]] Step write(const void* data, std::size_t size);
  /**
   * shutdown: sends close_notify and waits for the peer's. After a fatal error on the connection
   * nothing is sent (OpenSSL forbids it) and the error is returned.
   */
  [[nodiscard]] Step shutdown();

  /**
   * release_buffers: gives OpenSSL's read and write buffers (~17 KiB each) back to the allocator,
   * unless they hold data; OpenSSL makes them again on the next read or write. For a connection
   * that has gone quiet: releasing them after every record (SSL_MODE_RELEASE_BUFFERS) costs two
   * large allocations per request on a busy keep-alive connection.
   * @return true when the connection now holds no buffers.
   */
  bool release_buffers();

  /**
   * has_pending: OpenSSL holds bytes already read from the socket (a record, or part of one, read
   * ahead); when it does not, a read can only wait for the peer, and the caller may wait first.
   */
  [[nodiscard]] bool has_pending() const;

  /** native_handle: the SSL, for peer certificate checks (nullptr if it could not be made). */
  [[nodiscard]] ssl_st* native_handle() const { return ssl_; }

private:
  Step finish(int result, std::size_t bytes, int sys_errno);

  ssl_st* ssl_ = nullptr;
  bool failed_ = false;  // a fatal SSL or system error happened: no shutdown may be attempted
};

}  // namespace gw::tls
