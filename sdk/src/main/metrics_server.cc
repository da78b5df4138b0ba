#include "metrics_server.h"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "httplib.h"
#include "inlet/metrics.h"

namespace inlet::internal {

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> served{false};  // `listen_after_bind` returned.
  std::string url;
  std::mutex mu;
  RunMetrics latest;  // Guarded by `mu`.
};

namespace {

absl::Status BadAddress(absl::string_view address, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("--metrics-address=\"", address, "\" ", problem,
                   "; expected HOST:PORT with HOST a name or address of this machine (e.g. "
                   "127.0.0.1, localhost, 0.0.0.0, [::1]) and PORT from 0 (any free port) to "
                   "65535"));
}

}  // namespace

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::shared_ptr<MetricsServer>> MetricsServer::Listen(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return BadAddress(address, "has no port");
  absl::string_view host = address.substr(0, colon);
  const absl::string_view port_text = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return BadAddress(address, "has no host");
  int port = -1;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return BadAddress(address, absl::StrCat("has no valid port (\"", port_text, "\")"));
  }
  auto impl = std::make_unique<Impl>();
  // Scrapes come one at a time: one thread answers them.
  impl->server.new_task_queue = [] { return new httplib::ThreadPool(1); };
  const std::string host_string(host);
  errno = 0;
  int bound = port;
  if (port == 0) {
    bound = impl->server.bind_to_any_port(host_string);
  } else if (!impl->server.bind_to_port(host_string, port)) {
    bound = -1;
  }
  if (bound < 0) {
    const int cause = errno;
    std::string why = "cannot be listened on";
    if (cause == EADDRINUSE) {
      why = "cannot be listened on: the port is in use";
    } else if (cause == EADDRNOTAVAIL) {
      why = "cannot be listened on: the host is no address of this machine";
    } else if (cause == EACCES) {
      why = "cannot be listened on: permission denied (ports below 1024 need privileges)";
    } else if (cause != 0) {
      why = absl::StrCat("cannot be listened on: ", std::strerror(cause));
    }
    return BadAddress(address, why);
  }
  const bool v6 = host.find(':') != absl::string_view::npos;
  impl->url = absl::StrCat("http://", v6 ? "[" : "", host, v6 ? "]" : "", ":", bound, "/metrics");
  return std::shared_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

MetricsServer::~MetricsServer() {
  if (!impl_->thread.joinable()) return;
  // `stop` does nothing until the serving thread has started listening.
  while (!impl_->served.load()) {
    impl_->server.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->thread.join();
}

void MetricsServer::Start(absl::string_view step) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->latest.step.empty()) impl_->latest.step = std::string(step);
  }
  impl_->server.Get("/metrics",
                    [impl = impl_.get()](const httplib::Request&, httplib::Response& response) {
                      std::string text;
                      {
                        std::lock_guard<std::mutex> lock(impl->mu);
                        text = PrometheusText(impl->latest, absl::Now());
                      }
                      response.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
                    });
  impl_->thread = std::thread([impl = impl_.get()] {
    impl->server.listen_after_bind();
    impl->served.store(true);
  });
}

void MetricsServer::Publish(const RunMetrics& metrics) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->latest = metrics;
}

const std::string& MetricsServer::url() const { return impl_->url; }

}  // namespace inlet::internal
