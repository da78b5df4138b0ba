#include "{{ cookiecutter.package_name }}/connector.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "inlet/source.h"

namespace {{ cookiecutter.cpp_namespace }} {
namespace {

// One worker's share: its files, read one after the other.
class FileLinesSource final : public inlet::StatelessSource<std::string> {
 public:
  FileLinesSource(std::vector<std::filesystem::path> paths, int batch_size)
      : paths_(std::move(paths)), batch_size_(batch_size) {}

  // Appends the lines that are ready now. Called only when the source is due
  // (see `NextAwake`). Must never block or sleep: a source that waits on a
  // network returns an empty batch and says when to retry in `NextAwake`.
  // Returns `kEnd` once every file is read. An error stops the run.
  absl::StatusOr<inlet::Poll> NextBatch(std::vector<std::string>& out) override {
    std::string line;
    while (static_cast<int>(out.size()) < batch_size_) {
      if (!file_.is_open()) {
        if (next_file_ == paths_.size()) return inlet::Poll::kEnd;
        const std::filesystem::path& path = paths_[next_file_++];
        file_.open(path, std::ios::binary);
        if (!file_) {
          return absl::NotFoundError(
              absl::StrCat("cannot open \"", path.string(), "\": ", std::strerror(errno)));
        }
      }
      if (std::getline(file_, line)) {
        out.push_back(std::move(line));
      } else if (file_.bad()) {
        return absl::DataLossError(
            absl::StrCat("read failed in \"", paths_[next_file_ - 1].string(), "\""));
      } else {
        file_.close();
      }
    }
    return inlet::Poll::kMore;
  }

  // When `NextBatch` wants to be called next; `std::nullopt` means "soon".
  // A source polling a remote system returns the time of its next poll.
  std::optional<absl::Time> NextAwake() override { return std::nullopt; }

  // Releases the open file. Called exactly once; nothing is called after it.
  void Close() override { file_.close(); }

 private:
  std::vector<std::filesystem::path> paths_;
  int batch_size_;
  size_t next_file_ = 0;
  std::ifstream file_;
};

}  // namespace

{{ cookiecutter.connector_class }}::{{ cookiecutter.connector_class }}(  //
    std::vector<std::filesystem::path> paths, {{ cookiecutter.connector_class }}Options options)
    : paths_(std::move(paths)), options_(options) {}

auto {{ cookiecutter.connector_class }}::Build(std::string_view, int worker_index, int worker_count)
    -> absl::StatusOr<std::unique_ptr<Source>> {
  std::vector<std::filesystem::path> share;
  for (size_t i = worker_index; i < paths_.size(); i += worker_count) {
    if (!std::filesystem::exists(paths_[i])) {
      return absl::NotFoundError(absl::StrCat("no file \"", paths_[i].string(), "\""));
    }
    share.push_back(paths_[i]);
  }
  return std::make_unique<FileLinesSource>(std::move(share), options_.batch_size);
}

}  // namespace {{ cookiecutter.cpp_namespace }}
