// A transport's state lives on its io_context thread; run_on hands that thread a change and
// waits for it. Included only by the transports' Asio translation units.
#pragma once

#include <future>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace gw::routing {

/** run_on: runs `f` on `ioc`'s thread and returns once it ran (`ioc` must be running). */
template <class F>
void run_on(boost::asio::io_context& ioc, F&& f) {
  std::promise<void> done;
  boost::asio::post(ioc, [&] {
    f();
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace gw::routing
