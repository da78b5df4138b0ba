// A directory of the fuzz target's own under the system's temporary
// directory, made once per process and removed at exit.

#ifndef INLET_FUZZ_SCRATCH_DIR_H_
#define INLET_FUZZ_SCRATCH_DIR_H_

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace inlet::fuzz {

inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path* const dir = [] {
    std::string name = (std::filesystem::temp_directory_path() / "inlet-fuzz-XXXXXX").string();
    if (::mkdtemp(name.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    auto* path = new std::filesystem::path(name);
    std::atexit([] { std::filesystem::remove_all(ScratchDir()); });
    return path;
  }();
  return *dir;
}

inline void WriteFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace inlet::fuzz

#endif  // INLET_FUZZ_SCRATCH_DIR_H_
