// RunMain's command line, exercised on a real process: the example program
// inlet-read-files (DirectoryInput behind RunMain).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
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

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
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
  // With `address_space`, the child's virtual memory is limited to that many
  // bytes (RLIMIT_AS), so the system refuses its threads' stacks.
  explicit Child(std::vector<std::string> args,
                 std::optional<rlim_t> address_space = std::nullopt) {
    static int counter = 0;
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("run_main_test_", getpid(), "_", counter++);
    std::filesystem::create_directories(dir_);
    args.insert(args.begin(), INLET_READ_FILES_BIN);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (address_space.has_value()) {
      SpawnLimited(argv, *address_space);
      return;
    }
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
  void SpawnLimited(std::vector<char*>& argv, rlim_t address_space) {
    // Everything the child does between fork and exec is async-signal-safe.
    const std::string out = (dir_ / "stdout").string();
    const std::string err = (dir_ / "stderr").string();
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      const int in_fd = open("/dev/null", O_RDONLY);
      const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in_fd < 0 || out_fd < 0 || err_fd < 0) _exit(126);
      dup2(in_fd, STDIN_FILENO);
      dup2(out_fd, STDOUT_FILENO);
      dup2(err_fd, STDERR_FILENO);
      const rlimit limit{.rlim_cur = address_space, .rlim_max = address_space};
      if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(126);
      execve(argv[0], argv.data(), environ);
      _exit(127);
    }
  }

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

TEST(RunMainTest, BadCommandLinesPrintOneLineNamingTheFlagTheValueAndWhatIsAllowed) {
  const std::string prefix = "inlet-read-files: error: ";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--no-such-flag", "x"},
       "unknown flag \"--no-such-flag\"; the flags are --workers, --epoch-interval, "
       "--flush-interval, --slow-poll-threshold, --output, --recovery-db, --recovery-epochs-kept, "
       "--progress, --max-open-partitions, --relist-interval, --metrics-address, "
       "--follow, --split-bytes and --help"},
      {{"--workers=abc", "x"},
       "--workers=\"abc\" is not allowed: expected an integer from 1 to 4096"},
      {{"--workers", "99999999999", "x"},
       "--workers=\"99999999999\" is not allowed: expected an integer from 1 to 4096"},
      {{"--workers=100000", "x"}, "--workers must be at most 4096, got 100000"},
      {{"--epoch-interval=soon", "x"},
       "--epoch-interval=\"soon\" is not allowed: expected a positive duration, e.g. 500ms or "
       "10s"},
      {{"--epoch_interval=0s", "x"}, "--epoch-interval must be positive, got 0"},
      {{"--flush-interval=0s", "x"}, "--flush-interval must be positive, got 0"},
      {{"--slow-poll-threshold=-1s", "x"}, "--slow-poll-threshold must not be negative, got -1s"},
      {{"--recovery-epochs-kept=0", "x"}, "--recovery-epochs-kept must be at least 1, got 0"},
      {{"--recovery-epochs-kept=3000000000", "x"},
       "--recovery-epochs-kept=\"3000000000\" is not allowed: expected an integer from 1 to "
       "2147483647"},
      {{"--progress=sometimes", "x"},
       "--progress must be auto, always or never, got \"sometimes\""},
      {{"--max-open-partitions=-1", "x"}, "--max-open-partitions must not be negative, got -1"},
      {{"--relist-interval=-5s", "x"}, "--relist-interval must not be negative, got -5s"},
      {{"--relist-interval=often", "x"},
       "--relist-interval=\"often\" is not allowed: expected a duration of zero or more, e.g. "
       "30s"},
      {{"--follow=maybe", "x"}, "--follow=\"maybe\" is not allowed: expected true or false"},
      {{"x", "--workers"}, "--workers needs a value: an integer from 1 to 4096"},
      {{"--flagfile=/dev/null", "x"},
       "unknown flag \"--flagfile\"; the flags are --workers, --epoch-interval, "
       "--flush-interval, --slow-poll-threshold, --output, --recovery-db, --recovery-epochs-kept, "
       "--progress, --max-open-partitions, --relist-interval, --metrics-address, "
       "--follow, --split-bytes and --help"},
  };
  for (const auto& [args, message] : cases) {
    Child child(args);
    EXPECT_EQ(child.Wait(), 2) << args[0];
    EXPECT_EQ(child.err(), prefix + message + "\n") << args[0];
    EXPECT_EQ(child.out(), "");
  }
}

TEST(RunMainTest, ArgumentsAfterDoubleDashArePositional) {
  Child child({"--", "--workers=2"});
  EXPECT_EQ(child.Wait(), 1) << "the pattern is read as a path, not as a flag";
  EXPECT_THAT(child.err(), HasSubstr("--workers=2"));
}

TEST(RunMainTest, HelpListsEveryFlagAsTypedAndExitsZero) {
  Child child({"--help"});
  EXPECT_EQ(child.Wait(), 0);
  const std::string help = child.out();
  EXPECT_EQ(child.err(), "");
  for (const char* flag :
       {"--workers=N", "--epoch-interval=DURATION", "--slow-poll-threshold=DURATION",
        "--output=PATH", "--recovery-db=PATH", "--recovery-epochs-kept=N", "--progress=MODE",
        "--help", "--follow", "--flush-interval=DURATION", "--metrics-address=HOST:PORT"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
  EXPECT_THAT(help, HasSubstr("an integer from 1 to 4096. Default: 1."));
  EXPECT_THAT(help, ContainsRegex("--follow +Keep reading lines appended to the files \\(tail "
                                  "-f\\): true or false\\.[ \n]+Default: false\\."));
  EXPECT_THAT(help, Not(HasSubstr("_"))) << "flags are shown with dashes";
  EXPECT_THAT(help, Not(HasSubstr(".cc"))) << "no source path";
  EXPECT_THAT(help, Not(HasSubstr("Flags from")));
  std::string source_dir = INLET_EXAMPLES_DIR;
  source_dir.resize(source_dir.rfind('/'));
  EXPECT_THAT(help, Not(HasSubstr(source_dir)));
  EXPECT_THAT(help, Not(HasSubstr("flagfile"))) << "Abseil's own flags are not inlet's";

  Child h({"-h"});
  EXPECT_EQ(h.Wait(), 0);
  EXPECT_EQ(h.out(), help);
}

TEST(RunMainTest, WarningsArePrintedOnStderrNamingTheProgram) {
  // Every first NextBatch takes longer than zero: one warning per partition.
  Child child({"--slow-poll-threshold=0", INLET_EXAMPLES_DIR "/sample/*.txt"});
  ASSERT_EQ(child.Wait(), 0) << child.err();
  std::vector<std::string> warnings;
  for (absl::string_view line : absl::StrSplit(child.err(), '\n', absl::SkipEmpty())) {
    if (absl::StrContains(line, "warning")) warnings.emplace_back(line);
  }
  ASSERT_EQ(warnings.size(), 3u) << child.err();
  for (const std::string& warning : warnings) {
    EXPECT_THAT(warning, MatchesRegex("inlet-read-files: warning: step \"input\" partition "
                                      "\".*\": NextBatch took .* \\(slow-poll threshold 0\\); .*"));
  }
}

TEST(RunMainTest, ThreadsTheSystemRefusesAreAClearErrorNotAnAbort) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers reserve more address space than the limit allows";
#else
  // 1 GiB of address space holds far fewer than 4096 thread stacks.
  Child child({"--workers=4096", INLET_EXAMPLES_DIR "/sample/*.txt"}, rlim_t{1} << 30);
  EXPECT_EQ(child.Wait(), 1) << child.err();
  EXPECT_THAT(child.err(), MatchesRegex("inlet-read-files: error: step \"input\": starting worker "
                                        "thread [0-9]+ of 4096: .*\n"));
#endif
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
