// `GeneratorInput` is a `DynamicInput` whose items come from a function: on
// every worker, item n (n = 0, 1, 2, ...) is `generate(worker_index,
// worker_count, n)`, until the function returns `std::nullopt`. Use it for
// synthetic load, tests and examples, and as the model of a dynamic input.
//
//   inlet::GeneratorInput<int64_t> input(
//       [](int worker, int workers, int64_t n) -> std::optional<int64_t> {
//         if (n >= 1000) return std::nullopt;
//         return n * workers + worker;
//       });
//
// Like every `DynamicInput`, it has no resume state: nothing about its
// progress is recorded at epoch closes, so the items in flight at a crash are
// lost (at-most-once), and a new run simply starts every worker at n = 0.
//
// Threading: `generate` is called from every worker thread, possibly at the
// same time, so it must be thread-safe (a pure function of its arguments is).
// Each worker's calls are sequential, with n increasing by one.

#ifndef INLET_CONNECTORS_GENERATOR_INPUT_H_
#define INLET_CONNECTORS_GENERATOR_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/dynamic_input.h"
#include "inlet/source.h"

namespace inlet {

struct GeneratorInputOptions {
  // The most items one `NextBatch` call hands out. 0 is treated as 1.
  // Default: 64.
  size_t batch_size = 64;

  // When positive, each worker hands out one batch per `interval` (Bytewax's
  // SimplePollingSource): the first when the source is built, then every
  // `interval`, waiting through `NextAwake`. A batch missed because the
  // worker fell more than one interval behind is skipped, not made up in a
  // burst. When zero or negative, batches follow each other as fast as the
  // runtime polls. Default: zero.
  absl::Duration interval = absl::ZeroDuration();
};

template <class T>
class GeneratorInput final : public DynamicInput<T> {
 public:
  // Returns item `n` of worker `worker_index` of `worker_count`, or
  // `std::nullopt` to end that worker's source. An exception it throws stops
  // the run as an error of `NextBatch`.
  using Generator = std::function<std::optional<T>(int worker_index, int worker_count, int64_t n)>;

  explicit GeneratorInput(Generator generate, GeneratorInputOptions options = {})
      : generate_(std::move(generate)), options_(options) {}

  // Builds worker `worker_index`'s source, starting at n = 0. The source
  // calls this input's function, so the input must outlive it. Fails with
  // INVALID_ARGUMENT when the worker numbers are out of range or the function
  // is empty.
  absl::StatusOr<std::unique_ptr<StatelessSource<T>>> Build(std::string_view /*step_id*/,
                                                            int worker_index,
                                                            int worker_count) override {
    if (worker_count < 1 || worker_index < 0 || worker_index >= worker_count) {
      return absl::InvalidArgumentError(absl::StrCat("GeneratorInput: worker ", worker_index,
                                                     " of ", worker_count, " is out of range"));
    }
    if (!generate_) return absl::InvalidArgumentError("GeneratorInput has an empty function");
    return std::make_unique<WorkerSource>(generate_, options_, worker_index, worker_count);
  }

 private:
  class WorkerSource final : public StatelessSource<T> {
   public:
    WorkerSource(const Generator& generate, const GeneratorInputOptions& options, int worker_index,
                 int worker_count)
        : generate_(generate),
          batch_size_(std::max<size_t>(options.batch_size, 1)),
          interval_(options.interval),
          worker_index_(worker_index),
          worker_count_(worker_count),
          due_(absl::Now()) {}

    // Hands out up to `batch_size` items, or none when called before the
    // batch is due.
    absl::StatusOr<Poll> NextBatch(std::vector<T>& out) override {
      if (ended_) return Poll::kEnd;
      if (paced()) {
        const absl::Time now = absl::Now();
        if (now < due_) return Poll::kMore;
        due_ += interval_;
        if (due_ <= now) due_ = now + interval_;
      }
      for (size_t i = 0; i < batch_size_; ++i) {
        std::optional<T> item = generate_(worker_index_, worker_count_, next_);
        if (!item.has_value()) {
          ended_ = true;
          return Poll::kEnd;
        }
        out.push_back(*std::move(item));
        ++next_;
      }
      return Poll::kMore;
    }

    std::optional<absl::Time> NextAwake() override {
      if (!paced()) return std::nullopt;
      return due_;
    }

   private:
    bool paced() const { return interval_ > absl::ZeroDuration(); }

    const Generator& generate_;
    const size_t batch_size_;
    const absl::Duration interval_;
    const int worker_index_;
    const int worker_count_;
    // When the next batch is due (only used when paced).
    absl::Time due_;
    int64_t next_ = 0;
    bool ended_ = false;
  };

  Generator generate_;
  GeneratorInputOptions options_;
};

}  // namespace inlet

#endif  // INLET_CONNECTORS_GENERATOR_INPUT_H_
