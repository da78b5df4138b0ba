#include "inlet_postgres_cdc/connector.h"

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "inlet/subject_input.h"
#include "nlohmann/json.hpp"

namespace inlet_postgres_cdc {

void PostgresCdc::Seek(const nlohmann::json& offset) {
  offset_ = offset.get<int64_t>();  // Reading resumes right after this byte offset.
}

void PostgresCdc::Run() {
  std::ifstream file(path_, std::ios::binary);
  if (!file) throw std::system_error(errno, std::generic_category(), "open " + path_.string());
  file.seekg(offset_);
  ReportOffset(offset_);  // Where reading starts, before the first message.
  std::string line;
  while (!stop_requested() && std::getline(file, line)) {
    offset_ += static_cast<int64_t>(line.size()) + (file.eof() ? 0 : 1);
    NextStr(line);
    ReportOffset(offset_);  // After the message it covers, before the commit.
    Commit();               // Makes it visible; without it, autocommit does.
  }
  if (file.bad()) throw std::system_error(errno, std::generic_category(), "read " + path_.string());
}

std::unique_ptr<inlet::SubjectInput<std::string>> MakePostgresCdcInput(
    std::vector<std::filesystem::path> paths, inlet::SubjectOptions options) {
  std::vector<std::string> partitions;
  partitions.reserve(paths.size());
  for (const std::filesystem::path& path : paths) partitions.push_back(path.filename().string());
  options.format = inlet::MessageFormat::kRaw;  // Lines are text, not JSON.
  return std::make_unique<inlet::SubjectInput<std::string>>(
      std::move(partitions),
      [paths = std::move(paths)](
          std::string_view partition) -> std::unique_ptr<inlet::ConnectorSubject> {
        for (const std::filesystem::path& path : paths) {
          if (path.filename().string() != partition) continue;
          return std::make_unique<PostgresCdc>(path);
        }
        return nullptr;
      },
      std::move(options));
}

}  // namespace inlet_postgres_cdc
