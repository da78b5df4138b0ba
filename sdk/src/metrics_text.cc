// `PrometheusText`: a run's metrics in the Prometheus text exposition format
// (https://prometheus.io/docs/instrumenting/exposition_formats/).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "inlet/backlog.h"
#include "inlet/metrics.h"

namespace inlet {
namespace {

// Nanoseconds as seconds, exactly: "0.000123", "12", "1.5".
std::string Seconds(int64_t nanos) {
  const bool negative = nanos < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(nanos) : nanos;
  std::string out = absl::StrCat(negative ? "-" : "", magnitude / 1'000'000'000);
  const uint64_t fraction = magnitude % 1'000'000'000;
  if (fraction != 0) {
    std::string digits = absl::StrFormat("%09d", fraction);
    digits.erase(digits.find_last_not_of('0') + 1);
    absl::StrAppend(&out, ".", digits);
  }
  return out;
}

// A label value as the format requires: backslash, double quote and line
// feed escaped.
std::string Escaped(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Family(std::string& out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

// `labels` is the inside of the braces, without them.
void Sample(std::string& out, absl::string_view name, absl::string_view labels,
            absl::string_view value) {
  absl::StrAppend(&out, name, "{", labels, "} ", value, "\n");
}

void Histogram(std::string& out, absl::string_view name, absl::string_view labels,
               const DurationHistogram& histogram) {
  int64_t cumulative = 0;
  for (size_t i = 0; i < DurationHistogram::kBounds; ++i) {
    cumulative += histogram.buckets[i];
    Sample(out, absl::StrCat(name, "_bucket"),
           absl::StrCat(labels, ",le=\"", Seconds(DurationHistogram::kUpperBoundsNanos[i]), "\""),
           absl::StrCat(cumulative));
  }
  Sample(out, absl::StrCat(name, "_bucket"), absl::StrCat(labels, ",le=\"+Inf\""),
         absl::StrCat(histogram.count()));
  Sample(out, absl::StrCat(name, "_sum"), labels, Seconds(histogram.sum_nanos));
  Sample(out, absl::StrCat(name, "_count"), labels, absl::StrCat(histogram.count()));
}

}  // namespace

std::string PrometheusText(const RunMetrics& metrics, absl::Time now) {
  const std::string step = absl::StrCat("step=\"", Escaped(metrics.step), "\"");
  std::vector<std::string> labels;
  labels.reserve(metrics.partitions.size());
  for (const PartitionMetrics& part : metrics.partitions) {
    labels.push_back(absl::StrCat(step, ",partition=\"", Escaped(part.partition), "\",worker=\"",
                                  part.worker, "\""));
  }
  std::string out;
  Family(out, "inlet_items_total", "counter", "Items read from the partition.");
  for (size_t i = 0; i < labels.size(); ++i) {
    Sample(out, "inlet_items_total", labels[i], absl::StrCat(metrics.partitions[i].items));
  }
  Family(out, "inlet_batches_total", "counter", "NextBatch calls that returned items.");
  for (size_t i = 0; i < labels.size(); ++i) {
    Sample(out, "inlet_batches_total", labels[i], absl::StrCat(metrics.partitions[i].batches));
  }
  Family(out, "inlet_next_batch_duration_seconds", "histogram",
         "Duration of each NextBatch call, empty or not.");
  for (size_t i = 0; i < labels.size(); ++i) {
    Histogram(out, "inlet_next_batch_duration_seconds", labels[i],
              metrics.partitions[i].next_batch_duration);
  }
  Family(out, "inlet_last_item_age_seconds", "gauge",
         "Time since the partition last read an item (absent before its first).");
  for (size_t i = 0; i < labels.size(); ++i) {
    const absl::Time last = metrics.partitions[i].last_item;
    if (last == absl::InfinitePast()) continue;
    const absl::Duration age = now > last ? now - last : absl::ZeroDuration();
    Sample(out, "inlet_last_item_age_seconds", labels[i], Seconds(absl::ToInt64Nanoseconds(age)));
  }
  for (const Backlog::Unit unit : {Backlog::Unit::kItems, Backlog::Unit::kBytes}) {
    const bool items = unit == Backlog::Unit::kItems;
    const std::string name = items ? "inlet_backlog_items" : "inlet_backlog_bytes";
    Family(out, name, "gauge",
           items ? "Items the partition has yet to read, as its source estimates them."
                 : "Bytes the partition has yet to read, as its source estimates them.");
    for (size_t i = 0; i < labels.size(); ++i) {
      const std::optional<Backlog>& backlog = metrics.partitions[i].backlog;
      if (!backlog.has_value() || backlog->unit != unit) continue;
      Sample(out, name, labels[i], absl::StrCat(backlog->amount));
    }
  }
  Family(out, "inlet_partition_ended", "gauge", "1 once the partition has ended, else 0.");
  for (size_t i = 0; i < labels.size(); ++i) {
    Sample(out, "inlet_partition_ended", labels[i], metrics.partitions[i].ended ? "1" : "0");
  }
  Family(out, "inlet_epoch_commit_duration_seconds", "histogram",
         "Duration of each epoch commit: the sink's Commit and the recovery store's transaction.");
  Histogram(out, "inlet_epoch_commit_duration_seconds", step, metrics.epoch_commit_duration);
  if (metrics.recovery_store_bytes.has_value()) {
    Family(out, "inlet_recovery_store_size_bytes", "gauge",
           "Size of the recovery store's files (database and write-ahead log).");
    Sample(out, "inlet_recovery_store_size_bytes", step,
           absl::StrCat(*metrics.recovery_store_bytes));
  }
  return out;
}

}  // namespace inlet
