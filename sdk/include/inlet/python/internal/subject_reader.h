// The Python object that runs one exported `ConnectorSubject` through the
// subject adapter (subject_input.h) and hands its committed messages to
// Python, for `inlet.pathway`.

#ifndef INLET_PYTHON_INTERNAL_SUBJECT_READER_H_
#define INLET_PYTHON_INTERNAL_SUBJECT_READER_H_

#include <nanobind/nanobind.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/connector_subject.h"
#include "inlet/message.h"
#include "inlet/python/conversions.h"
#include "inlet/python/internal/user_call.h"
#include "inlet/source.h"
#include "inlet/subject_input.h"

namespace inlet::python::internal {

inline Place SubjectPlace(std::string_view name) {
  return Place{
      .step = std::nullopt,
      .partition = std::string(name),
      .label = absl::StrCat("subject \"", absl::string_view(name.data(), name.size()), "\"")};
}

// Raises `inlet.ConnectorError` for `status`, a failure of the subject
// `place` names. The adapter's failures read `subject "name": Run: what`
// (an exception from `Run`, `Seek` or `OnStop`) or `subject "name": message
// 17: ...` (a rejected message, reported as method "Next"); the error keeps
// that text and carries the method and the rest as its attributes. Any other
// failure is reported as one of `method`. REQUIRES: the GIL is held.
[[noreturn]] inline void RaiseSubjectError(const Place& place, std::string_view method,
                                           const absl::Status& status) {
  const std::string_view text(status.message().data(), status.message().size());
  absl::string_view rest = status.message();
  if (!absl::ConsumePrefix(&rest, absl::StrCat(place.label, ": "))) {
    RaiseConnectorError(place, method, status);
  }
  for (const char* subject_method : {"Run", "Seek", "OnStop"}) {
    absl::string_view what = rest;
    if (absl::ConsumePrefix(&what, absl::StrCat(subject_method, ": "))) {
      RaiseConnectorError(text, place, subject_method, absl::Status(status.code(), what));
    }
  }
  if (absl::StartsWith(rest, "message ")) {
    RaiseConnectorError(text, place, "Next", absl::Status(status.code(), rest));
  }
  RaiseConnectorError(text, place, method, absl::Status(status.code(), rest));
}

// `Subject` only tags the type, so each exported subject gets its own Python
// reader class. One Python thread uses a reader at a time; the GIL is
// released while C++ runs.
template <class Subject>
class SubjectReader {
 public:
  using Source = SubjectInput<Message>::Source;

  // `max_commit_size`: the most messages of one unfinished commit the
  // reader holds (see `NextBatch`).
  SubjectReader(std::unique_ptr<Subject> subject, SubjectOptions options, size_t max_commit_size)
      : name_(options.name),
        place_(SubjectPlace(options.name)),
        max_commit_size_(max_commit_size),
        subject_(std::move(subject)),
        input_([this] { return std::unique_ptr<ConnectorSubject>(std::move(subject_)); },
               std::move(options)) {}
  SubjectReader(const SubjectReader&) = delete;
  SubjectReader& operator=(const SubjectReader&) = delete;

  // A reader dropped without `close()` still stops and joins its subject;
  // errors are dropped, there is no one left to tell.
  ~SubjectReader() {
    if (closed_ || source_ == nullptr) return;
    closed_ = true;
    (void)CallWithoutGil([this] { source_->Close(); });
  }

  // Starts the subject on the first call. Waits up to `timeout` for whole
  // commits and returns the value of each of their messages (a dict with a
  // schema, a str for raw, bytes for bytes, else any JSON value), in push
  // order; returns an empty list when the timeout passes first. A commit is
  // never split between two calls, even one the adapter's backlog cut (see
  // `SubjectSource::batch_ends_commit`): the reader holds its messages until
  // its end, up to `max_commit_size` of them, then hands those out as if
  // they were a commit (and counts it in `cut_commits`). Raises
  // `StopIteration` once the stream has ended and its last commits were
  // returned, and `inlet.ConnectorError` when the subject failed, once the
  // commits before the failure were returned; the messages of a commit that
  // the failure left unfinished are dropped.
  nanobind::list NextBatch(double timeout_seconds) {
    if (closed_) {
      RaiseConnectorError(place_, "NextBatch", absl::FailedPreconditionError("called after Close"));
    }
    if (failure_.has_value()) RaiseSubjectError(place_, "NextBatch", *failure_);
    if (ended_) throw nanobind::stop_iteration();
    if (source_ == nullptr) {
      absl::StatusOr<std::unique_ptr<Source>> built =
          CallWithoutGil([this] { return input_.BuildPart(name_, name_, std::nullopt); });
      if (!built.ok()) RaiseSubjectError(place_, "BuildPart", built.status());
      source_ = *std::move(built);
      commits_ = dynamic_cast<SubjectSource<Message>*>(source_.get());
      if (commits_ == nullptr) {
        RaiseSubjectError(place_, "BuildPart",
                          absl::InternalError("the subject adapter built no SubjectSource"));
      }
    }
    const absl::Duration timeout = absl::Seconds(timeout_seconds);
    absl::StatusOr<Poll> poll = CallWithoutGil([this, timeout]() -> absl::StatusOr<Poll> {
      const absl::Time deadline = absl::Now() + timeout;
      while (true) {
        const size_t before = buffer_.size();
        absl::StatusOr<Poll> polled = source_->NextBatch(buffer_);
        if (buffer_.size() > before) {
          if (commits_->batch_ends_commit()) {
            whole_ = buffer_.size();
          } else if (buffer_.size() - whole_ >= max_commit_size_) {
            whole_ = buffer_.size();
            ++cut_commits_;
          }
        }
        if (!polled.ok() || *polled == Poll::kEnd || whole_ > 0) return polled;
        if (absl::Now() >= deadline) return Poll::kMore;
        commits_->WaitUntilDue(deadline);  // Woken by the subject's next commit.
      }
    });
    if (!poll.ok() || *poll == Poll::kEnd) buffer_.resize(whole_);  // An unfinished commit.
    if (!poll.ok()) {
      if (whole_ == 0) RaiseSubjectError(place_, "NextBatch", poll.status());
      failure_ = poll.status();  // Raised by the next call, after these commits.
    }
    if (poll.ok() && *poll == Poll::kEnd) ended_ = true;
    if (ended_ && whole_ == 0) throw nanobind::stop_iteration();
    // Taken messages are handed out once, even when one fails to convert.
    struct TakeWholeOnExit {
      std::vector<Message>& messages;
      size_t& whole;
      ~TakeWholeOnExit() {
        messages.erase(messages.begin(), messages.begin() + static_cast<ptrdiff_t>(whole));
        whole = 0;
      }
    } take_whole_on_exit{buffer_, whole_};
    nanobind::list values = nanobind::steal<nanobind::list>(
        Checked(PyList_New(static_cast<Py_ssize_t>(whole_))).release());
    for (size_t index = 0; index < whole_; ++index) {
      PyList_SET_ITEM(values.ptr(), static_cast<Py_ssize_t>(index),
                      JsonToPython(buffer_[index].value).release().ptr());
    }
    return values;
  }

  // How many commits larger than `max_commit_size` were handed out in parts.
  size_t cut_commits() const { return cut_commits_; }

  // Asks the subject to stop and waits until its thread is done (`Run` and
  // `OnStop` returned). Later calls do nothing.
  void Close() {
    if (closed_) return;
    closed_ = true;
    if (source_ != nullptr) CallOrRaise(place_, "Close", [this] { source_->Close(); });
  }

 private:
  const std::string name_;
  const Place place_;
  const size_t max_commit_size_;
  std::unique_ptr<Subject> subject_;  // Until the input's factory takes it.
  SubjectInput<Message> input_;
  std::unique_ptr<Source> source_;
  SubjectSource<Message>* commits_ = nullptr;  // `source_` as a `SubjectSource`.
  // Taken messages: `whole_` of them in whole commits, then those of an
  // unfinished commit.
  std::vector<Message> buffer_;
  size_t whole_ = 0;
  size_t cut_commits_ = 0;
  std::optional<absl::Status> failure_;
  bool ended_ = false;
  bool closed_ = false;
};

}  // namespace inlet::python::internal

#endif  // INLET_PYTHON_INTERNAL_SUBJECT_READER_H_
