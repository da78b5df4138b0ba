// What a fuzz target does when a property it checks does not hold: says
// which, then aborts, so libFuzzer saves the input as a crash.

#ifndef INLET_FUZZ_FUZZ_CHECK_H_
#define INLET_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace inlet::fuzz {

[[noreturn]] inline void PropertyFailed(const char* file, int line, const char* condition,
                                        const std::string& detail) {
  // On stdout too: a target run with -close_fd_mask=2 has no stderr.
  for (FILE* out : {stdout, stderr}) {
    std::fprintf(out, "%s:%d: property failed: %s\n%s\n", file, line, condition, detail.c_str());
    std::fflush(out);
  }
  std::abort();
}

// The pieces of a failure's detail, written with operator<< (statuses,
// strings, numbers) one after another.
template <class... Pieces>
std::string Detail(const Pieces&... pieces) {
  std::ostringstream out;
  (out << ... << pieces);
  return out.str();
}

}  // namespace inlet::fuzz

// FUZZ_CHECK(condition, detail...): the detail pieces are joined and printed
// only when `condition` is false.
#define FUZZ_CHECK(condition, ...)                                                         \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      ::inlet::fuzz::PropertyFailed(__FILE__, __LINE__, #condition,                        \
                                    ::inlet::fuzz::Detail("" __VA_OPT__(, ) __VA_ARGS__)); \
    }                                                                                      \
  } while (false)

#endif  // INLET_FUZZ_FUZZ_CHECK_H_
