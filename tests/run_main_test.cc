// RunMain's command line, exercised on a real process: the example program
// inlet-read-files (DirectoryInput behind RunMain).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace inlet {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::UnorderedElementsAreArray;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A child process running inlet-read-files with its output in files.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    static int counter = 0;
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("run_main_test_", getpid(), "_", counter++);
    std::filesystem::create_directories(dir_);
    args.insert(args.begin(), INLET_READ_FILES_BIN);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, (dir_ / "stdout").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, (dir_ / "stderr").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
  }

  // Waits for the process; returns its exit status, or 128+signal.
  int Wait() {
    int status = 0;
    EXPECT_EQ(waitpid(pid_, &status, 0), pid_);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void Signal(int signal) { kill(pid_, signal); }
  std::string out() const { return ReadFile(dir_ / "stdout"); }
  std::string err() const { return ReadFile(dir_ / "stderr"); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  pid_t pid_ = -1;
  std::filesystem::path dir_;
};

std::vector<std::string> SampleLines() {
  std::vector<std::string> lines;
  for (const auto& entry : std::filesystem::directory_iterator(INLET_EXAMPLES_DIR "/sample")) {
    for (absl::string_view line : absl::StrSplit(ReadFile(entry.path()), '\n', absl::SkipEmpty())) {
      lines.emplace_back(line);
    }
  }
  return lines;
}

std::vector<std::string> DecodeJsonLines(const std::string& text) {
  std::vector<std::string> values;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    values.push_back(nlohmann::json::parse(line).get<std::string>());
  }
  return values;
}

TEST(RunMainTest, ReadsEverySampleLineAndPrintsASummary) {
  Child child({"--workers=2", "--epoch-interval=50ms", INLET_EXAMPLES_DIR "/sample/*.txt"});
  ASSERT_EQ(child.Wait(), 0) << child.err();
  EXPECT_THAT(DecodeJsonLines(child.out()), UnorderedElementsAreArray(SampleLines()));
  EXPECT_THAT(child.err(),
              MatchesRegex("inlet-read-files: [0-9]+ items from 3 partitions in [0-9.]+ s "
                           "\\([0-9,]+ items/s\\), [0-9]+ epochs\n"));
}

TEST(RunMainTest, OutputFlagWritesJsonLinesToAFile) {
  Child child({"--output", "", INLET_EXAMPLES_DIR "/sample/*.txt"});
  EXPECT_EQ(child.Wait(), 2);
  EXPECT_THAT(child.err(), HasSubstr("--output must be a path or - for standard output"));

  const std::filesystem::path out = child.dir() / "lines.jsonl";
  Child to_file({"--output=" + out.string(), INLET_EXAMPLES_DIR "/sample/*.txt"});
  ASSERT_EQ(to_file.Wait(), 0) << to_file.err();
  EXPECT_EQ(to_file.out(), "");
  EXPECT_THAT(DecodeJsonLines(ReadFile(out)), UnorderedElementsAreArray(SampleLines()));
}

TEST(RunMainTest, AMissingPathFailsWithExitStatusOneNamingIt) {
  Child child({"/nonexistent/inlet/*.txt"});
  EXPECT_EQ(child.Wait(), 1);
  EXPECT_THAT(child.err(), HasSubstr("inlet-read-files: error: step \"input\": ListParts: "));
  EXPECT_THAT(child.err(), HasSubstr("/nonexistent/inlet"));
}

TEST(RunMainTest, BadCommandLinesExitWithStatusTwo) {
  Child workers({"--workers=0", "x"});
  EXPECT_EQ(workers.Wait(), 2);
  EXPECT_EQ(workers.err(), "inlet-read-files: error: --workers must be at least 1, got 0\n");
  Child progress({"--progress=sometimes", "x"});
  EXPECT_EQ(progress.Wait(), 2);
  EXPECT_THAT(progress.err(), HasSubstr("--progress must be auto, always or never"));
  Child no_pattern({});
  EXPECT_EQ(no_pattern.Wait(), 2);
  EXPECT_THAT(no_pattern.err(), HasSubstr("expected one glob pattern"));
}

TEST(RunMainTest, HelpListsTheStandardFlags) {
  Child child({"--help"});
  child.Wait();
  const std::string help = child.out() + child.err();
  for (const char* flag : {"--workers", "--epoch_interval", "--output", "--progress"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
}

TEST(RunMainTest, ProgressAlwaysDrawsALiveLineOnStderr) {
  Child child({"--progress=always", INLET_EXAMPLES_DIR "/sample/*.txt"});
  ASSERT_EQ(child.Wait(), 0) << child.err();
  EXPECT_THAT(child.err(), HasSubstr("\r\033[Kinlet-read-files: "));
  EXPECT_THAT(child.err(), HasSubstr("live partitions  epoch "));
}

class RunMainSignalTest : public ::testing::TestWithParam<int> {};

TEST_P(RunMainSignalTest, StopsInOrderAndExitsZero) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                    absl::StrCat("run_main_follow_", getpid(), "_", GetParam());
  std::filesystem::create_directories(dir);
  {
    std::ofstream file(dir / "a.log");
    file << "first\nsecond\n";
  }
  Child child({"--follow", "--epoch-interval=20ms", (dir / "*.log").string()});
  // Wait until both lines came out, then ask the process to stop.
  for (int i = 0; i < 200 && DecodeJsonLines(child.out()).size() < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(25));
  }
  child.Signal(GetParam());
  EXPECT_EQ(child.Wait(), 0) << child.err();
  EXPECT_EQ(DecodeJsonLines(child.out()), (std::vector<std::string>{"first", "second"}));
  EXPECT_THAT(child.err(), HasSubstr(GetParam() == SIGINT ? "SIGINT received, stopping"
                                                          : "SIGTERM received, stopping"));
  EXPECT_THAT(child.err(), HasSubstr("2 items from 1 partitions"));
  EXPECT_THAT(child.err(), HasSubstr("stopped by signal"));
}

INSTANTIATE_TEST_SUITE_P(SigintAndSigterm, RunMainSignalTest, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return param.param == SIGINT ? "Sigint" : "Sigterm";
                         });

}  // namespace
}  // namespace inlet
