// `SubjectInput` adapts `ConnectorSubject`s to the pull contract (Pathway's
// `pw.io.python.read`): each partition runs one subject on a thread of its
// own, and the runtime polls the messages it committed without ever waiting
// on it.
//
//   inlet::SubjectInput<inlet::Message> input(
//       [] { return std::make_unique<Ticks>(); },
//       {.schema = {{.name = "tick", .type = inlet::FieldType::kInt}}});
//   inlet::Run(input, sink);
//
// A partition's resume state is the subject's last reported offset (JSON
// null when it reports none), stored by the runtime like any snapshot.

#ifndef INLET_SUBJECT_INPUT_H_
#define INLET_SUBJECT_INPUT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "inlet/connector_subject.h"
#include "inlet/message.h"
#include "inlet/partitioned_input.h"
#include "inlet/schema.h"
#include "nlohmann/json.hpp"

namespace inlet {

struct SubjectOptions {
  // How pushed messages are decoded. Default: JSON.
  MessageFormat format = MessageFormat::kJson;

  // The fields every JSON message must match; empty accepts any JSON value.
  // Only for the JSON format.
  std::vector<Field> schema = {};

  // Pushed messages become visible at the latest this long after the first
  // of them, when the subject does not `Commit` sooner. A subject that
  // reports offsets is committed only up to its last offset. Zero makes
  // every message visible at once; negative is invalid. Default: 1500 ms
  // (as Pathway).
  absl::Duration autocommit_duration = absl::Milliseconds(1500);

  // The most messages a partition holds (pushed, not yet taken by the
  // runtime); a `Next*` call beyond it blocks, after committing what is
  // pending: for a subject that reports offsets, only what its last offset
  // covers. Such a subject must report an offset at least every
  // `max_backlog` messages: a backlog full of messages no offset covers
  // fails the run with ResourceExhausted, since committing them would
  // repeat them on resume. At least 1. Default: 65536.
  size_t max_backlog = 65536;

  // Names the subject in messages; with one subject, also the partition's
  // name and so the key of its resume state (Pathway's persistent id).
  // Not empty. Default: "subject".
  std::string name = "subject";

  // Receives every rejected message, on the subject's thread, and the run
  // goes on. When unset, a rejected message stops the run with its error
  // once the messages committed before it are delivered.
  std::function<void(const MessageError&)> on_error = nullptr;

  // OK when every field holds an allowed value; otherwise InvalidArgument
  // naming the subject, the field, its value and what is allowed, e.g.
  // `subject "orders": max_backlog must be at least 1, got 0`, or what is
  // wrong with the schema (a schema with the raw format, a duplicate field,
  // a default of the wrong type). `SubjectInput::ListParts` calls it.
  absl::Status Validate() const;
};

// The source of one subject's partition, as `SubjectInput::BuildPart` makes
// it (`dynamic_cast` the source it returns), for adapters that hand the
// subject's commits to an engine with transactions of its own, such as
// Pathway's (inlet.pathway).
//
// Its `EstimateBacklog` is the subject backlog: the messages the subject
// pushed that `NextBatch` has not handed out yet, committed or not, in
// `Backlog::Unit::kItems`.
template <class T>
class SubjectSource : public StatefulSource<T, nlohmann::json> {
 public:
  // Whether the messages the last `NextBatch` appended end where a commit
  // ends (`Commit`, autocommit, `Close`, the end of `Run`); true when it
  // appended none. False when the subject filled the backlog before it
  // committed: the adapter then committed what was pending to make room,
  // and the rest of that commit comes in later batches. Called on the thread
  // that calls `NextBatch`, after it.
  virtual bool batch_ends_commit() const = 0;

  // Blocks the calling thread until the partition is due (a commit is ready,
  // the stream ended or failed, or an autocommit is due) or `deadline`
  // passes. For a reader that is not a runtime worker and has no waker (the
  // Pathway reader); the runtime's workers never call it.
  virtual void WaitUntilDue(absl::Time deadline) = 0;
};

// `T` is the item type: `Message` for any format (a key and a JSON value),
// or `std::string` for the raw and bytes formats (the text or bytes alone,
// like the file inputs' lines; the cheapest way to move small messages).
template <class T = Message>
class SubjectInput final : public PartitionedInput<T, nlohmann::json> {
 public:
  static_assert(std::is_same_v<T, Message> || std::is_same_v<T, std::string>,
                "SubjectInput items are inlet::Message or std::string");
  using Source = StatefulSource<T, nlohmann::json>;

  // Makes the subject of a partition; called once each time the partition
  // is built (every run, and again on resume).
  using Factory = std::function<std::unique_ptr<ConnectorSubject>()>;
  using PartitionFactory =
      std::function<std::unique_ptr<ConnectorSubject>(std::string_view partition)>;

  // One subject, in one partition named `options.name`.
  explicit SubjectInput(Factory make_subject, SubjectOptions options = {});

  // One subject per partition, made by `make_subject(partition)`; for a
  // connector with many independent streams.
  SubjectInput(std::vector<std::string> partitions, PartitionFactory make_subject,
               SubjectOptions options = {});

  // Fails when the options are invalid (`SubjectOptions::Validate`) or when
  // the JSON format is asked of `std::string` items.
  absl::StatusOr<std::vector<std::string>> ListParts() override;

  // Makes the partition's subject and starts its thread: `Seek(*resume)`
  // when `resume` holds an offset, then `Run`.
  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view step_id,
                                                    std::string_view for_part,
                                                    std::optional<nlohmann::json> resume) override;

 private:
  std::vector<std::string> partitions_;
  PartitionFactory make_subject_;
  SubjectOptions options_;
};

extern template class SubjectInput<Message>;
extern template class SubjectInput<std::string>;

}  // namespace inlet

#endif  // INLET_SUBJECT_INPUT_H_
