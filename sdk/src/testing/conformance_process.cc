#include "inlet/testing/internal/conformance_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/current_executable.h"

extern char** environ;  // NOLINT: POSIX declares it nowhere else.

namespace inlet::internal::conformance {

std::optional<std::filesystem::path> ChildDirectory() {
  const char* dir = std::getenv(kChildDirectoryVariable);
  if (dir == nullptr || *dir == '\0') return std::nullopt;
  return std::filesystem::path(dir);
}

absl::StatusOr<pid_t> SpawnCurrentTest(const std::filesystem::path& dir) {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  if (test == nullptr) return absl::FailedPreconditionError("no GoogleTest test is running");
  absl::StatusOr<std::string> executable = CurrentExecutable();
  if (!executable.ok()) return executable.status();
  std::vector<std::string> args = {
      *executable, absl::StrCat("--gtest_filter=", test->test_suite_name(), ".", test->name())};
  std::vector<std::string> env = {absl::StrCat(kChildDirectoryVariable, "=", dir.string())};
  for (char** entry = environ; *entry != nullptr; ++entry) env.emplace_back(*entry);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (std::string& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);

  const std::string log = (dir / "child.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int error =
      posix_spawn(&pid, executable->c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    return absl::InternalError(
        absl::StrCat("posix_spawn ", *executable, ": ", std::strerror(error)));
  }
  return pid;
}

absl::Status AwaitMarker(pid_t pid, const std::filesystem::path& marker, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (!std::filesystem::exists(marker)) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return absl::FailedPreconditionError(absl::StrCat("the child process ended (wait status ",
                                                        status, ") before it reached mid-stream"));
    }
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(absl::StrCat(
          "the child process did not reach mid-stream within ", absl::FormatDuration(limit)));
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  return absl::OkStatus();
}

absl::Status KillAndReap(pid_t pid) {
  if (kill(pid, SIGKILL) != 0) {
    return absl::InternalError(absl::StrCat("kill(", pid, ", SIGKILL): ", std::strerror(errno)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("waitpid(", pid, "): ", std::strerror(errno)));
    }
  }
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
    return absl::InternalError(
        absl::StrCat("the child process was not ended by SIGKILL (wait status ", status, ")"));
  }
  return absl::OkStatus();
}

}  // namespace inlet::internal::conformance
