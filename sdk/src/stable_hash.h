// A 64-bit hash that is the same in every build, process and platform
// (std::hash and absl::Hash promise neither): FNV-1a.

#ifndef INLET_SRC_STABLE_HASH_H_
#define INLET_SRC_STABLE_HASH_H_

#include <cstdint>
#include <string_view>

namespace inlet::internal {

inline uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace inlet::internal

#endif  // INLET_SRC_STABLE_HASH_H_
