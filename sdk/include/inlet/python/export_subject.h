// Exports a `ConnectorSubject` (connector_subject.h) to Python, where the
// `inlet` package reads it into a Pathway table (`inlet.pathway.read`). In
// the connector's nanobind module (built with `inlet_add_python_module`, see
// inletPython.cmake):
//
//   NB_MODULE(my_connector, m) {
//     inlet::python::ExportConnectorSubject<Orders>(
//         m, "Orders",
//         {.schema = {{.name = "order_id", .type = inlet::FieldType::kInt, .primary_key = true},
//                     {.name = "text", .type = inlet::FieldType::kString}},
//          .name = "orders"})
//         .def(nanobind::init<std::string>(), nanobind::arg("url"));
//   }
//
// and in Python:
//
//   orders = inlet.pathway.read(my_connector.Orders("https://example.com/orders"))
//
// The Python class `name` holds one subject, built by the constructors the
// author adds to the returned class: `nanobind::init<Args...>()` constructs
// `Subject(args...)`. A subject runs once: `open` hands it to a reader,
// bound as `name` with "Reader" appended, that runs it through the subject
// adapter (subject_input.h) exactly as the embedded runtime does.
//
//   subject.format -> "json" | "raw" | "bytes"     SubjectOptions::format
//   subject.schema -> list[dict]                   SubjectOptions::schema, one dict per field:
//                                                  "name", "type" ("bool", "int", "float",
//                                                  "string", "bytes" or "json"),
//                                                  "primary_key", and "default" if it has one
//   subject.name -> str                            SubjectOptions::name
//   subject.open(*, name=None, autocommit_seconds=None, max_backlog=None,
//                max_commit_size=1048576) -> reader
//                                                  the options with these replaced
//   reader.next_batch(timeout_seconds=0.1) -> list the values of whole commits
//   reader.cut_commits -> int                      commits handed out in parts
//   reader.close()                                 stops the subject and joins its thread
//
// - `open` raises ValueError when the subject was opened before, the
//   replaced options are invalid or `max_commit_size` is 0. The subject's thread starts at the
//   first `next_batch`.
// - `next_batch` waits, without the GIL, until the subject has committed
//   messages, ended, failed, or `timeout_seconds` passed (then it returns an
//   empty list). The messages of one commit are never split between calls,
//   not even when the commit is larger than the backlog (the adapter then
//   passes it on in parts, which the reader gathers): the reader holds up to
//   `max_commit_size` messages of an unfinished commit, and hands out a
//   larger one in parts of that size, counted by `cut_commits`. One call may
//   return several commits. A value is the `Message::value` converted as
//   conversions.h says: a dict with a schema, a str for raw, bytes for
//   bytes. At the end of the stream it raises `StopIteration`.
// - A failure raises `inlet.ConnectorError` once the commits before it were
//   returned (the messages of a commit it left unfinished are dropped), with
//   the subject adapter's text (`subject "orders": Run: connection reset`,
//   `subject "orders": message 17: field "order_id": expected int, got
//   string "x"`), `step` None, `partition` the subject's name, `method`
//   "Run", "Seek" or "OnStop" for an exception, "Next" for a rejected message.
// - A reader that Python drops without `close()` closes when it is destroyed.
//   One Python thread uses a reader at a time.
//
// The `inlet` Python package must be importable where the module runs.

#ifndef INLET_PYTHON_EXPORT_SUBJECT_H_
#define INLET_PYTHON_EXPORT_SUBJECT_H_

#include <nanobind/nanobind.h>

#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "inlet/connector_subject.h"
#include "inlet/message.h"
#include "inlet/python/conversions.h"
#include "inlet/python/internal/subject_reader.h"
#include "inlet/schema.h"
#include "inlet/subject_input.h"

namespace inlet::python {

// The C++ type of an exported subject's Python objects: it owns one
// `Subject` until a reader takes it. A custom `__init__` builds it from a
// subject: `new (self) ExportedSubject<Orders>(std::make_unique<Orders>(...))`.
template <class Subject>
class ExportedSubject {
 public:
  template <class... Args>
    requires std::constructible_from<Subject, Args&&...>
  explicit ExportedSubject(Args&&... args)
      : subject_(std::make_unique<Subject>(std::forward<Args>(args)...)) {}
  explicit ExportedSubject(std::unique_ptr<Subject> subject) : subject_(std::move(subject)) {}
  ExportedSubject(const ExportedSubject&) = delete;
  ExportedSubject& operator=(const ExportedSubject&) = delete;

  // The subject on the first call, null after.
  std::unique_ptr<Subject> Take() { return std::move(subject_); }

 private:
  std::unique_ptr<Subject> subject_;
};

namespace internal {

inline const char* FormatName(MessageFormat format) {
  switch (format) {
    case MessageFormat::kJson:
      return "json";
    case MessageFormat::kRaw:
      return "raw";
    case MessageFormat::kBytes:
      return "bytes";
  }
  return "json";
}

}  // namespace internal

// Exports `Subject`, a subclass of `inlet::ConnectorSubject`, as the Python
// class `name` in `scope`, read with `options`. Returns the class so the
// caller can add constructors and other methods.
// REQUIRES: called once per `Subject` type, while the module is initialized.
// Invalid `options` (see `SubjectOptions::Validate`) fail the module's import
// with the reason.
template <class Subject>
nanobind::class_<ExportedSubject<Subject>> ExportConnectorSubject(nanobind::handle scope,
                                                                  const char* name,
                                                                  SubjectOptions options = {}) {
  static_assert(std::is_base_of_v<ConnectorSubject, Subject>,
                "ExportConnectorSubject exports subclasses of inlet::ConnectorSubject");
  namespace nb = nanobind;
  using Reader = internal::SubjectReader<Subject>;
  if (absl::Status valid = options.Validate(); !valid.ok()) {
    throw std::invalid_argument(absl::StrCat(name, ": ", valid.message()));
  }

  const std::string reader_name = absl::StrCat(name, "Reader");
  nb::class_<Reader>(scope, reader_name.c_str())
      .def("next_batch", &Reader::NextBatch, nb::arg("timeout_seconds") = 0.1,
           "Waits up to timeout_seconds for committed messages and returns their values (maybe "
           "none); raises StopIteration at the end of the stream.")
      .def_prop_ro("cut_commits", &Reader::cut_commits,
                   "How many commits larger than max_commit_size were handed out in parts.")
      .def("close", &Reader::Close,
           "Stops the subject and waits for its thread; later calls do nothing.");

  nb::class_<ExportedSubject<Subject>> subject(scope, name);
  subject.def_prop_ro(
      "format",
      [format = options.format](const ExportedSubject<Subject>&) {
        return internal::FormatName(format);
      },
      "How the subject's messages are read: \"json\", \"raw\" or \"bytes\".");
  subject.def_prop_ro(
      "schema",
      [schema = options.schema](const ExportedSubject<Subject>&) {
        nb::list fields;
        for (const Field& field : schema) {
          nb::dict described;
          described["name"] = field.name;
          described["type"] = FieldTypeName(field.type);
          described["primary_key"] = field.primary_key;
          if (field.default_value.has_value()) {
            described["default"] = JsonToPython(*field.default_value);
          }
          fields.append(described);
        }
        return fields;
      },
      "The fields every message must match (empty: any JSON value), in schema order.");
  subject.def_prop_ro(
      "name",
      [subject_name = options.name](const ExportedSubject<Subject>&) { return subject_name; },
      "The subject's name in errors.");
  subject.def(
      "open",
      [options](ExportedSubject<Subject>& self, std::optional<std::string> opened_name,
                std::optional<double> autocommit_seconds, std::optional<size_t> max_backlog,
                size_t max_commit_size) -> std::unique_ptr<Reader> {
        SubjectOptions opened = options;
        if (opened_name.has_value()) opened.name = *std::move(opened_name);
        if (autocommit_seconds.has_value()) {
          opened.autocommit_duration = absl::Seconds(*autocommit_seconds);
        }
        if (max_backlog.has_value()) opened.max_backlog = *max_backlog;
        if (absl::Status valid = opened.Validate(); !valid.ok()) {
          throw nb::value_error(std::string(valid.message()).c_str());
        }
        if (max_commit_size == 0) throw nb::value_error("max_commit_size must be at least 1");
        std::unique_ptr<Subject> taken = self.Take();
        if (taken == nullptr) {
          throw nb::value_error(
              absl::StrCat("subject \"", opened.name, "\" was opened before: a subject runs once")
                  .c_str());
        }
        return std::make_unique<Reader>(std::move(taken), std::move(opened), max_commit_size);
      },
      nb::kw_only(), nb::arg("name").none() = nb::none(),
      nb::arg("autocommit_seconds").none() = nb::none(), nb::arg("max_backlog").none() = nb::none(),
      nb::arg("max_commit_size") = size_t{1} << 20,
      "Takes the subject into a reader that runs it with the exported options, these replaced.");
  return subject;
}

}  // namespace inlet::python

#endif  // INLET_PYTHON_EXPORT_SUBJECT_H_
