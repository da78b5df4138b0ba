#include "inlet/subject_input.h"

#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "inlet/internal/guarded_call.h"
#include "inlet/warning.h"
#include "message_decoder.h"
#include "subject_channel.h"
#include "warning_route.h"

namespace inlet {
namespace {

constexpr absl::Duration kSlowStopWarning = absl::Seconds(5);

// One partition: a subject running on its own thread, and the channel the
// runtime polls.
template <class T>
class SubjectPartition final : public SubjectSource<T> {
 public:
  SubjectPartition(std::string name, internal::MessageDecoder decoder,
                   const SubjectOptions& options, std::unique_ptr<ConnectorSubject> subject,
                   std::optional<nlohmann::json> resume)
      : channel_(std::move(name), std::move(decoder), options, resume.value_or(nullptr)),
        subject_(std::move(subject)) {
    channel_.Attach(*subject_);
    // The subject's warnings go to the run that builds it.
    thread_ = std::thread(
        [this, resume = std::move(resume), warnings = internal::CurrentWarningReceiver()] {
          internal::WarningRoute route(warnings);
          RunSubject(resume);
        });
  }

  ~SubjectPartition() override { Stop(); }

  absl::StatusOr<Poll> NextBatch(std::vector<T>& out) override { return channel_.Take(out); }
  bool batch_ends_commit() const override { return channel_.taken_ends_commit(); }
  void WaitUntilDue(absl::Time deadline) override { channel_.WaitUntilDue(deadline); }
  std::optional<absl::Time> NextAwake() override {
    if (!waker_handed_over_) {
      channel_.SetWaker(this->waker());
      waker_handed_over_ = true;
    }
    return channel_.NextAwake();
  }
  nlohmann::json Snapshot() override { return channel_.offset(); }
  // Tells the subject the last offset whose messages are durable, once per
  // new offset (a subject that reports none hears nothing).
  void Committed(const nlohmann::json& offset) override {
    if (offset.is_null() || offset == acknowledged_) return;
    acknowledged_ = offset;
    subject_->OnCommitted(offset);
  }
  // The messages pushed and not yet handed out, committed or not.
  std::optional<Backlog> EstimateBacklog() override {
    return Backlog{.amount = channel_.queued(), .unit = Backlog::Unit::kItems};
  }
  void Close() override { Stop(); }

 private:
  void RunSubject(const std::optional<nlohmann::json>& resume) {
    const bool sought = !resume.has_value() || resume->is_null() ||
                        Guarded("Seek", [&] { subject_->Seek(*resume); });
    if (sought && Guarded("Run", [&] { subject_->Run(); })) channel_.RunReturned();
    Guarded("OnStop", [&] { subject_->OnStop(); });
    channel_.MarkDone();
  }

  // Calls one method of the subject; an exception fails the channel with
  // `subject "name": Method: what`, and makes this false.
  template <class Call>
  bool Guarded(std::string_view method, Call call) {
    absl::Status status =
        internal::GuardedCall(channel_.place(), method, call, /*exception_prefix=*/"").status();
    if (status.ok()) return true;
    channel_.Fail(std::move(status));
    return false;
  }

  void Stop() {
    if (!thread_.joinable()) return;
    channel_.RequestStop();
    if (!channel_.WaitDone(kSlowStopWarning)) {
      Warn(absl::StrCat(channel_.place().label, " has not returned from Run ",
                        absl::FormatDuration(kSlowStopWarning),
                        " after the stop request; still waiting"));
    }
    thread_.join();
  }

  internal::SubjectChannel channel_;
  std::unique_ptr<ConnectorSubject> subject_;
  std::thread thread_;
  bool waker_handed_over_ = false;
  nlohmann::json acknowledged_;
};

}  // namespace

template <class T>
SubjectInput<T>::SubjectInput(Factory make_subject, SubjectOptions options)
    : partitions_({options.name}),
      make_subject_([make = std::move(make_subject)](std::string_view) { return make(); }),
      options_(std::move(options)) {}

template <class T>
SubjectInput<T>::SubjectInput(std::vector<std::string> partitions, PartitionFactory make_subject,
                              SubjectOptions options)
    : partitions_(std::move(partitions)),
      make_subject_(std::move(make_subject)),
      options_(std::move(options)) {}

absl::Status SubjectOptions::Validate() const {
  const internal::Place place = internal::Place::Subject(name);
  auto invalid = [&](auto&&... text) {
    return absl::InvalidArgumentError(place.Prefix("", absl::StrCat(text...)));
  };
  if (name.empty()) return absl::InvalidArgumentError("SubjectOptions.name must not be empty");
  absl::StatusOr<internal::MessageDecoder> decoder =
      internal::MessageDecoder::Create(format, schema);
  if (!decoder.ok()) return invalid(decoder.status().message());
  if (autocommit_duration < absl::ZeroDuration()) {
    return invalid("autocommit_duration must not be negative, got ",
                   absl::FormatDuration(autocommit_duration));
  }
  if (max_backlog == 0) return invalid("max_backlog must be at least 1, got 0");
  return absl::OkStatus();
}

template <class T>
absl::StatusOr<std::vector<std::string>> SubjectInput<T>::ListParts() {
  if (absl::Status valid = options_.Validate(); !valid.ok()) return valid;
  if (std::is_same_v<T, std::string> && options_.format == MessageFormat::kJson) {
    return absl::InvalidArgumentError(internal::Place::Subject(options_.name)
                                          .Prefix("",
                                                  "std::string items need the raw or bytes "
                                                  "format; JSON messages are inlet::Message"));
  }
  return partitions_;
}

template <class T>
absl::StatusOr<std::unique_ptr<typename SubjectInput<T>::Source>> SubjectInput<T>::BuildPart(
    std::string_view, std::string_view for_part, std::optional<nlohmann::json> resume) {
  absl::StatusOr<internal::MessageDecoder> decoder =
      internal::MessageDecoder::Create(options_.format, options_.schema);
  if (!decoder.ok()) return decoder.status();
  std::string name = options_.name;
  if (partitions_.size() != 1 || partitions_[0] != options_.name) {
    absl::StrAppend(&name, "/", absl::string_view(for_part.data(), for_part.size()));
  }
  std::unique_ptr<ConnectorSubject> subject = make_subject_(for_part);
  if (subject == nullptr) {
    return absl::InternalError(
        internal::Place::Subject(name).Prefix("", "the factory returned null"));
  }
  return std::make_unique<SubjectPartition<T>>(std::move(name), *std::move(decoder), options_,
                                               std::move(subject), std::move(resume));
}

template class SubjectInput<Message>;
template class SubjectInput<std::string>;

}  // namespace inlet
