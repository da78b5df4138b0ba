// Helpers shared by the input tests: a fixture that owns a fresh temporary
// directory, and a loop that drains a source to its end.

#ifndef INLET_TESTS_TEST_SUPPORT_H_
#define INLET_TESTS_TEST_SUPPORT_H_

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "inlet/source.h"

namespace inlet_test {

// Gives each test an empty directory of its own, `dir_`, deleted after the
// test even when the test took permissions away from anything in it.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir_template = ::testing::TempDir() + "inlet-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template.data()), nullptr) << dir_template;
    dir_ = dir_template;
  }

  void TearDown() override {
    // Without owner permissions on every directory, remove_all cannot list or
    // unlink what is below it.
    std::error_code error;
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, error);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_, error)) {
      std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, error);
    }
    std::filesystem::remove_all(dir_, error);
  }

  // Creates (or truncates) `name`, relative to `dir_`, with `contents`,
  // creating any missing parent directories.
  std::filesystem::path Write(const std::string& name, const std::string& contents) {
    std::filesystem::path path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
    return path;
  }

  void Append(const std::filesystem::path& path, const std::string& contents) {
    std::ofstream(path, std::ios::binary | std::ios::app) << contents;
  }

  std::filesystem::path dir_;
};

// Polls `source` until it ends and returns every item it handed out, failing
// the test on an error or when it does not end within `max_calls` calls.
template <class SourceType>
std::vector<typename SourceType::Item> ReadToEnd(SourceType& source, int max_calls = 10000) {
  std::vector<typename SourceType::Item> items;
  for (int call = 0; call < max_calls; ++call) {
    std::vector<typename SourceType::Item> batch;
    absl::StatusOr<inlet::Poll> poll = source.NextBatch(batch);
    EXPECT_TRUE(poll.ok()) << poll.status();
    if (!poll.ok()) return items;
    items.insert(items.end(), batch.begin(), batch.end());
    if (*poll == inlet::Poll::kEnd) return items;
  }
  ADD_FAILURE() << "the source did not end within " << max_calls << " calls";
  return items;
}

}  // namespace inlet_test

#endif  // INLET_TESTS_TEST_SUPPORT_H_
