// The conformance kit's record of what it wrote into a data set, and the
// check that a sequence of received items matches it: nothing unwritten,
// nothing missing, each partition's items in the order they were written,
// and duplicates only where the delivery guarantee allows them. Items are
// compared by their JSON text, so any item `JsonLinesSink` can write works.

#ifndef INLET_TESTING_INTERNAL_CONFORMANCE_DELIVERY_H_
#define INLET_TESTING_INTERNAL_CONFORMANCE_DELIVERY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace inlet::internal::conformance {

template <class T>
std::string ShowItem(const T& item) {
  return nlohmann::json(item).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// `partitions[p][i]` is item i written into partition p.
template <class T>
struct WrittenData {
  std::vector<std::vector<T>> partitions = {};

  int64_t total() const {
    int64_t total = 0;
    for (const std::vector<T>& items : partitions) total += static_cast<int64_t>(items.size());
    return total;
  }

  // True when `received` holds every written item at least once.
  bool CoveredBy(const std::vector<T>& received) const {
    std::set<std::string> written;
    for (const std::vector<T>& items : partitions) {
      for (const T& item : items) written.insert(ShowItem(item));
    }
    for (const T& item : received) written.erase(ShowItem(item));
    return written.empty();
  }
};

// Checks `received` against `written`. With `exactly_once`, every written item
// must arrive once; otherwise at least once, and a repeat is allowed only of
// an item that was written. Either way the first arrivals of each partition's
// items must follow the order they were written in.
template <class T>
::testing::AssertionResult CheckDelivery(const WrittenData<T>& written,
                                         const std::vector<T>& received, bool exactly_once) {
  std::map<std::string, std::pair<size_t, size_t>> where;  // Item text -> (partition, index).
  for (size_t p = 0; p < written.partitions.size(); ++p) {
    for (size_t i = 0; i < written.partitions[p].size(); ++i) {
      where.emplace(ShowItem(written.partitions[p][i]), std::make_pair(p, i));
    }
  }
  std::vector<size_t> next(written.partitions.size(), 0);  // First index not yet received.
  std::set<std::string> seen;
  for (size_t position = 0; position < received.size(); ++position) {
    const std::string text = ShowItem(received[position]);
    auto found = where.find(text);
    if (found == where.end()) {
      return ::testing::AssertionFailure()
             << "received item #" << position << " " << text << ", which was never written";
    }
    const auto [p, i] = found->second;
    if (!seen.insert(text).second) {
      if (exactly_once) {
        return ::testing::AssertionFailure()
               << "item " << i << " of partition " << p << " (" << text
               << ") arrived twice (again as received item #" << position
               << "); an exactly-once connector must not repeat an item";
      }
      continue;
    }
    if (i != next[p]) {
      return ::testing::AssertionFailure()
             << "partition " << p << ": item " << i << " (" << text << ") arrived before item "
             << next[p] << " (" << ShowItem(written.partitions[p][next[p]])
             << "): items were skipped or reordered";
    }
    ++next[p];
  }
  for (size_t p = 0; p < written.partitions.size(); ++p) {
    if (next[p] < written.partitions[p].size()) {
      return ::testing::AssertionFailure()
             << "partition " << p << ": " << next[p] << " of " << written.partitions[p].size()
             << " written items arrived; the first missing is item " << next[p] << " ("
             << ShowItem(written.partitions[p][next[p]]) << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace inlet::internal::conformance

#endif  // INLET_TESTING_INTERNAL_CONFORMANCE_DELIVERY_H_
