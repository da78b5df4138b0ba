// {{ cookiecutter.connector_class }}: the connector (README.md says what it reads).
//
// A dynamic input (Bytewax's DynamicSource): every worker builds one source
// and reads its own share of a stream that balances itself, such as a
// consumer group or a load-balanced endpoint. There is no resume state: after
// a restart each source starts afresh. This one reads text files, one item
// per line; worker i of n reads the files whose index is i modulo n.
//
// Replace this: keep the class shapes and swap the file reading for your
// system's client. The rules that matter are in the comments of each method;
// the conformance tests (tests/conformance_test.cc) check them for you.
//
// Threading: `Build` is called from the thread that runs the input, once per
// worker, one call at a time; each source is polled by its worker's thread.

#ifndef {{ cookiecutter.package_name | upper }}_CONNECTOR_H_
#define {{ cookiecutter.package_name | upper }}_CONNECTOR_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inlet/dynamic_input.h"

namespace {{ cookiecutter.cpp_namespace }} {

struct {{ cookiecutter.connector_class }}Options {
  // At most this many lines are handed out per `NextBatch` call, so that the
  // worker stays responsive. Default: 1000.
  int batch_size = 1000;
};

// Items are lines (without their "\n").
class {{ cookiecutter.connector_class }} final : public inlet::DynamicInput<std::string> {
 public:
  // Reads `paths`, shared out over the workers.
  explicit {{ cookiecutter.connector_class }}(  //
      std::vector<std::filesystem::path> paths, {{ cookiecutter.connector_class }}Options options = {});

  // Builds the source of worker `worker_index` of `worker_count`. Called once
  // per worker per run, before any source is polled. A worker with no share
  // gets a source that ends at once. An error (a missing file) stops the run
  // and its message says which file.
  absl::StatusOr<std::unique_ptr<Source>> Build(std::string_view step_id, int worker_index,
                                                int worker_count) override;

 private:
  std::vector<std::filesystem::path> paths_;
  {{ cookiecutter.connector_class }}Options options_;
};

}  // namespace {{ cookiecutter.cpp_namespace }}

#endif  // {{ cookiecutter.package_name | upper }}_CONNECTOR_H_
