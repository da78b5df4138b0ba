// The HTTP endpoint of `RunMain --metrics-address`: serves the run's latest
// metrics (metrics.h) at /metrics in the Prometheus text format, on a
// thread of its own, through cpp-httplib.

#ifndef INLET_SRC_MAIN_METRICS_SERVER_H_
#define INLET_SRC_MAIN_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "inlet/metrics.h"

namespace inlet::internal {

class MetricsServer {
 public:
  // Binds `address` (`HOST:PORT`, `[IPv6]:PORT`; port 0 picks a free one),
  // without serving yet. InvalidArgument naming `--metrics-address`, the
  // value and what is allowed when it is malformed or cannot be bound (the
  // port is in use, the host is no address of this machine).
  static absl::StatusOr<std::shared_ptr<MetricsServer>> Listen(absl::string_view address);

  // Stops serving and joins the serving thread.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Starts answering requests, with `step`'s empty metrics until the first
  // `Publish`. Called once.
  void Start(absl::string_view step);
  // Makes `metrics` what the next scrape sees. Any thread.
  void Publish(const RunMetrics& metrics);
  // `http://HOST:PORT/metrics`, with the port actually bound.
  const std::string& url() const;

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace inlet::internal

#endif  // INLET_SRC_MAIN_METRICS_SERVER_H_
