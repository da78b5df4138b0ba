#include "file_range.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace inlet::internal {
namespace {

std::optional<int64_t> ParseOffset(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

absl::Status CheckSplitOptions(const FileInputOptions& options) {
  if (options.split_bytes < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FileInputOptions.split_bytes must not be negative, got ", options.split_bytes));
  }
  if (options.split_bytes == 0) return absl::OkStatus();
  if (options.follow) {
    return absl::InvalidArgumentError(
        "FileInputOptions.split_bytes cannot be used with follow: a followed file grows, and "
        "its ranges are fixed when it is listed");
  }
  if (options.line_ending != LineEnding::kNewline) {
    return absl::InvalidArgumentError(
        "FileInputOptions.split_bytes needs LineEnding::kNewline: a range finds its first line "
        "at a '\\n'");
  }
  return absl::OkStatus();
}

void AppendPartNames(const std::string& path, int64_t size, int64_t split_bytes,
                     std::vector<std::string>& names) {
  if (split_bytes <= 0 || size <= split_bytes) {
    names.push_back(path);
    return;
  }
  for (int64_t start = 0; start < size; start += split_bytes) {
    const int64_t end = size - start > split_bytes ? start + split_bytes : size;
    names.push_back(absl::StrCat(path, "@", start, "-", end));
  }
}

std::optional<RangePart> ParseRangeName(std::string_view name) {
  const size_t at = name.rfind('@');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  const std::string_view range = name.substr(at + 1);
  const size_t dash = range.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::optional<int64_t> start = ParseOffset(range.substr(0, dash));
  const std::optional<int64_t> end = ParseOffset(range.substr(dash + 1));
  if (!start.has_value() || !end.has_value() || *start >= *end) return std::nullopt;
  return RangePart{.path = std::string(name.substr(0, at)),
                   .range = FileRange{.start = *start, .end = *end}};
}

}  // namespace inlet::internal
