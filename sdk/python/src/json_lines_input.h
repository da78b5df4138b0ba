// `JsonLinesInput` reads files of JSON lines: `FileInput`'s partitions,
// reading, resume and follow semantics (see inlet/connectors/file_input.h), with each
// line parsed in C++ (simdjson, without the GIL) into a document that
// json_document_caster.h turns into dicts and lists, so a Python engine
// never parses. A line that is not JSON stops the run with INVALID_ARGUMENT
// `<path>: a line is not JSON (<why>): <the line's first 80 bytes>`.

#ifndef INLET_PYTHON_SRC_JSON_LINES_INPUT_H_
#define INLET_PYTHON_SRC_JSON_LINES_INPUT_H_

#include <simdjson.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inlet/connectors/file_input.h"
#include "inlet/partitioned_input.h"

namespace inlet::python {

// One parsed line. Documents are recycled by the source that parsed them
// once no item refers to them any more, so parsing allocates nothing in the
// steady state.
struct ParsedJson {
  std::shared_ptr<const simdjson::dom::document> document;
};

class JsonLinesInput final : public PartitionedInput<ParsedJson, int64_t> {
 public:
  JsonLinesInput(std::vector<std::filesystem::path> paths, FileInputOptions options = {});

  // As `FileInput::ListParts`.
  absl::StatusOr<std::vector<std::string>> ListParts() override;

  // As `FileInput::BuildPart`; the state is the byte offset after the last
  // line handed out.
  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view step_id,
                                                    std::string_view for_part,
                                                    std::optional<int64_t> resume) override;

 private:
  FileInput files_;
};

}  // namespace inlet::python

#endif  // INLET_PYTHON_SRC_JSON_LINES_INPUT_H_
