// `JsonLinesInput` reads files of JSON lines: `FileInput`'s partitions,
// reading, resume and follow semantics (see inlet/file_input.h), with each
// line parsed into `nlohmann::json` in C++, so a Python engine receives
// dicts and lists without parsing them itself. A line that is not JSON stops
// the run with INVALID_ARGUMENT `<path>: a line is not JSON: <why>`.

#ifndef INLET_PYTHON_SRC_JSON_LINES_INPUT_H_
#define INLET_PYTHON_SRC_JSON_LINES_INPUT_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inlet/file_input.h"
#include "inlet/partitioned_input.h"
#include "nlohmann/json.hpp"

namespace inlet::python {

class JsonLinesInput final : public PartitionedInput<nlohmann::json, int64_t> {
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
