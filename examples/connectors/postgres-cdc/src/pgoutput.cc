#include "pgoutput.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace inlet_postgres_cdc::internal {
namespace {

// Type OIDs from pg_type.dat; stable across PostgreSQL versions.
constexpr uint32_t kBoolOid = 16;
constexpr uint32_t kInt8Oid = 20;
constexpr uint32_t kInt2Oid = 21;
constexpr uint32_t kInt4Oid = 23;
constexpr uint32_t kOidOid = 26;
constexpr uint32_t kJsonOid = 114;
constexpr uint32_t kFloat4Oid = 700;
constexpr uint32_t kFloat8Oid = 701;
constexpr uint32_t kJsonbOid = 3802;

// Seconds from 1970-01-01 to 2000-01-01.
constexpr int64_t kPgEpochUnixSeconds = 946684800;

absl::Status Truncated(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("pgoutput message truncated while reading ", std::string(what)));
}

nlohmann::json ValueOf(uint32_t type_oid, std::string_view text) {
  switch (type_oid) {
    case kBoolOid:
      return text == "t";
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      int64_t value = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error == std::errc() && end == text.data() + text.size()) return value;
      return std::string(text);
    }
    case kFloat4Oid:
    case kFloat8Oid: {
      double value = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error == std::errc() && end == text.data() + text.size() && std::isfinite(value)) {
        return value;
      }
      return std::string(text);  // NaN, Infinity, -Infinity.
    }
    case kJsonOid:
    case kJsonbOid: {
      nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (!value.is_discarded()) return value;
      return std::string(text);
    }
    default:
      return std::string(text);
  }
}

}  // namespace

std::string FormatLsn(uint64_t lsn) {
  return absl::StrFormat("%X/%X", static_cast<uint32_t>(lsn >> 32), static_cast<uint32_t>(lsn));
}

absl::StatusOr<uint64_t> ParseLsn(std::string_view text) {
  const size_t slash = text.find('/');
  uint32_t high = 0;
  uint32_t low = 0;
  auto parse = [](std::string_view part, uint32_t& out) {
    if (part.empty() || part.size() > 8) return false;
    auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), out, 16);
    return error == std::errc() && end == part.data() + part.size();
  };
  if (slash == std::string_view::npos || !parse(text.substr(0, slash), high) ||
      !parse(text.substr(slash + 1), low)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad LSN \"", std::string(text),
                     "\": expected two hexadecimal numbers as in \"16/B374D848\""));
  }
  return (static_cast<uint64_t>(high) << 32) | low;
}

std::string FormatPgTimestamp(int64_t micros) {
  const absl::Time time = absl::FromUnixSeconds(kPgEpochUnixSeconds) + absl::Microseconds(micros);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<uint8_t> Reader::Byte() {
  if (data_.empty()) return Truncated("a byte");
  const auto value = static_cast<uint8_t>(data_[0]);
  data_.remove_prefix(1);
  return value;
}

absl::StatusOr<int16_t> Reader::Int16() {
  if (data_.size() < 2) return Truncated("an Int16");
  uint16_t value = 0;
  for (int i = 0; i < 2; ++i)
    value = static_cast<uint16_t>(value << 8 | static_cast<uint8_t>(data_[i]));
  data_.remove_prefix(2);
  return static_cast<int16_t>(value);
}

absl::StatusOr<int32_t> Reader::Int32() {
  if (data_.size() < 4) return Truncated("an Int32");
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = value << 8 | static_cast<uint8_t>(data_[i]);
  data_.remove_prefix(4);
  return static_cast<int32_t>(value);
}

absl::StatusOr<int64_t> Reader::Int64() {
  if (data_.size() < 8) return Truncated("an Int64");
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = value << 8 | static_cast<uint8_t>(data_[i]);
  data_.remove_prefix(8);
  return static_cast<int64_t>(value);
}

absl::StatusOr<std::string> Reader::CString() {
  const size_t end = data_.find('\0');
  if (end == std::string_view::npos) return Truncated("a string");
  std::string value(data_.substr(0, end));
  data_.remove_prefix(end + 1);
  return value;
}

absl::StatusOr<std::string_view> Reader::Bytes(size_t n) {
  if (data_.size() < n) return Truncated("a column value");
  std::string_view value = data_.substr(0, n);
  data_.remove_prefix(n);
  return value;
}

absl::StatusOr<const Decoder::Relation*> Decoder::FindRelation(int32_t oid) const {
  auto it = relations_.find(oid);
  if (it == relations_.end()) {
    return absl::DataLossError(
        absl::StrCat("pgoutput: a change to relation ", oid, " came before its Relation message"));
  }
  return &it->second;
}

absl::StatusOr<nlohmann::json> Decoder::ReadTuple(Reader& reader, const Relation& relation) {
  absl::StatusOr<int16_t> count = reader.Int16();
  if (!count.ok()) return count.status();
  if (static_cast<size_t>(*count) != relation.columns.size()) {
    return absl::DataLossError(absl::StrCat("pgoutput: a row of ", relation.table, " has ", *count,
                                            " columns, its Relation message ",
                                            relation.columns.size()));
  }
  nlohmann::json tuple = nlohmann::json::object();
  for (const Column& column : relation.columns) {
    absl::StatusOr<uint8_t> kind = reader.Byte();
    if (!kind.ok()) return kind.status();
    switch (*kind) {
      case 'n':
        tuple.emplace(column.name, nullptr);
        break;
      case 'u':
        break;  // An unchanged TOASTed value: pgoutput does not send it.
      case 't': {
        absl::StatusOr<int32_t> length = reader.Int32();
        if (!length.ok()) return length.status();
        if (*length < 0) return Truncated("a column length");
        absl::StatusOr<std::string_view> text = reader.Bytes(static_cast<size_t>(*length));
        if (!text.ok()) return text.status();
        tuple.emplace(column.name, ValueOf(column.type_oid, *text));
        break;
      }
      default:
        return absl::DataLossError(absl::StrCat("pgoutput: column \"", column.name, "\" of ",
                                                relation.table, " has kind byte ", *kind,
                                                ", expected 'n', 'u' or 't' (protocol version 1)"));
    }
  }
  return tuple;
}

nlohmann::json Decoder::Change(const Relation& relation, std::string_view op, nlohmann::json key,
                               nlohmann::json old_row, nlohmann::json new_row) const {
  nlohmann::json change(nlohmann::json::value_t::object);
  auto& fields = *change.get_ptr<nlohmann::json::object_t*>();
  // In the object's (sorted) key order, so that each one goes in at the end.
  auto add = [&](const char* name, nlohmann::json value) {
    fields.emplace_hint(fields.end(), name, std::move(value));
  };
  add("commit_lsn", commit_lsn_);
  add("commit_time", commit_time_);
  add("key", std::move(key));
  add("new", std::move(new_row));
  add("old", std::move(old_row));
  add("op", op);
  add("table", relation.table);
  add("xid", xid_);
  return change;
}

nlohmann::json Decoder::KeyOf(const Relation& relation, const nlohmann::json& tuple) {
  nlohmann::json key = nlohmann::json::object();
  for (const Column& column : relation.columns) {
    if (!column.key) continue;
    auto it = tuple.find(column.name);
    if (it != tuple.end()) key.emplace(column.name, *it);
  }
  if (key.empty()) return nullptr;
  return key;
}

absl::StatusOr<std::vector<Decoder::Event>> Decoder::Decode(std::string_view message) {
  std::vector<Event> events;
  absl::Status decoded = Decode(message, events);
  if (!decoded.ok()) return decoded;
  return events;
}

absl::Status Decoder::Decode(std::string_view message, std::vector<Event>& events) {
  Reader reader(message);
  absl::StatusOr<uint8_t> type = reader.Byte();
  if (!type.ok()) return type.status();
// Unwraps a StatusOr into `var`, or returns its error.
#define PGOUTPUT_READ(var, expr)                \
  auto var##_or = (expr);                       \
  if (!var##_or.ok()) return var##_or.status(); \
  auto var = *std::move(var##_or)
  switch (*type) {
    case 'B': {
      PGOUTPUT_READ(final_lsn, reader.Int64());
      PGOUTPUT_READ(commit_time, reader.Int64());
      PGOUTPUT_READ(xid, reader.Int32());
      in_transaction_ = true;
      commit_lsn_ = FormatLsn(static_cast<uint64_t>(final_lsn));
      commit_time_ = FormatPgTimestamp(commit_time);
      xid_ = static_cast<uint32_t>(xid);
      events.push_back({.kind = Event::Kind::kBegin});
      break;
    }
    case 'C': {
      PGOUTPUT_READ(flags, reader.Byte());
      PGOUTPUT_READ(commit_lsn, reader.Int64());
      PGOUTPUT_READ(end_lsn, reader.Int64());
      PGOUTPUT_READ(commit_time, reader.Int64());
      static_cast<void>(flags);
      static_cast<void>(commit_lsn);
      static_cast<void>(commit_time);
      in_transaction_ = false;
      events.push_back(
          {.kind = Event::Kind::kCommit, .commit_end_lsn = static_cast<uint64_t>(end_lsn)});
      break;
    }
    case 'R': {
      PGOUTPUT_READ(oid, reader.Int32());
      PGOUTPUT_READ(schema, reader.CString());
      PGOUTPUT_READ(name, reader.CString());
      PGOUTPUT_READ(replica_identity, reader.Byte());
      PGOUTPUT_READ(count, reader.Int16());
      static_cast<void>(replica_identity);
      Relation relation{.table = absl::StrCat(schema, ".", name), .columns = {}};
      for (int i = 0; i < count; ++i) {
        PGOUTPUT_READ(flags, reader.Byte());
        PGOUTPUT_READ(column, reader.CString());
        PGOUTPUT_READ(type_oid, reader.Int32());
        PGOUTPUT_READ(type_modifier, reader.Int32());
        static_cast<void>(type_modifier);
        relation.columns.push_back({.name = std::move(column),
                                    .type_oid = static_cast<uint32_t>(type_oid),
                                    .key = (flags & 1) != 0});
      }
      relations_[oid] = std::move(relation);
      break;
    }
    case 'I': {
      PGOUTPUT_READ(oid, reader.Int32());
      PGOUTPUT_READ(relation, FindRelation(oid));
      PGOUTPUT_READ(marker, reader.Byte());
      if (marker != 'N') return absl::DataLossError("pgoutput: Insert without its 'N' tuple");
      PGOUTPUT_READ(row, ReadTuple(reader, *relation));
      nlohmann::json key = KeyOf(*relation, row);
      events.push_back(
          {.kind = Event::Kind::kChange,
           .change = Change(*relation, "insert", std::move(key), nullptr, std::move(row))});
      break;
    }
    case 'U': {
      PGOUTPUT_READ(oid, reader.Int32());
      PGOUTPUT_READ(relation, FindRelation(oid));
      nlohmann::json old;
      PGOUTPUT_READ(marker, reader.Byte());
      if (marker == 'K' || marker == 'O') {
        PGOUTPUT_READ(old_row, ReadTuple(reader, *relation));
        // With 'K' only the old key columns are meaningful.
        old = marker == 'K' ? KeyOf(*relation, old_row) : std::move(old_row);
        PGOUTPUT_READ(next, reader.Byte());
        marker = next;
      }
      if (marker != 'N') return absl::DataLossError("pgoutput: Update without its 'N' tuple");
      PGOUTPUT_READ(row, ReadTuple(reader, *relation));
      nlohmann::json key = KeyOf(*relation, row);
      events.push_back(
          {.kind = Event::Kind::kChange,
           .change = Change(*relation, "update", std::move(key), std::move(old), std::move(row))});
      break;
    }
    case 'D': {
      PGOUTPUT_READ(oid, reader.Int32());
      PGOUTPUT_READ(relation, FindRelation(oid));
      PGOUTPUT_READ(marker, reader.Byte());
      if (marker != 'K' && marker != 'O') {
        return absl::DataLossError("pgoutput: Delete without its 'K' or 'O' tuple");
      }
      PGOUTPUT_READ(old_row, ReadTuple(reader, *relation));
      nlohmann::json key = KeyOf(*relation, old_row);
      nlohmann::json old = marker == 'K' ? key : std::move(old_row);
      events.push_back(
          {.kind = Event::Kind::kChange,
           .change = Change(*relation, "delete", std::move(key), std::move(old), nullptr)});
      break;
    }
    case 'T': {
      PGOUTPUT_READ(count, reader.Int32());
      PGOUTPUT_READ(options, reader.Byte());
      static_cast<void>(options);
      for (int i = 0; i < count; ++i) {
        PGOUTPUT_READ(oid, reader.Int32());
        PGOUTPUT_READ(relation, FindRelation(oid));
        events.push_back({.kind = Event::Kind::kChange,
                          .change = Change(*relation, "truncate", nullptr, nullptr, nullptr)});
      }
      break;
    }
    case 'Y':  // A type's name, for types the subscriber may not know; values are text.
    case 'O':  // The origin of a replicated transaction.
    case 'M':  // A logical decoding message (only with the "messages" option).
      break;
    default:
      return absl::DataLossError(absl::StrCat("pgoutput: unknown message type '",
                                              std::string(1, static_cast<char>(*type)),
                                              "' (protocol version 1 was asked for)"));
  }
#undef PGOUTPUT_READ
  if (reader.remaining() != 0 && *type != 'Y' && *type != 'O' && *type != 'M') {
    return absl::DataLossError(absl::StrCat("pgoutput: ", reader.remaining(),
                                            " bytes left over after a '",
                                            std::string(1, static_cast<char>(*type)), "' message"));
  }
  return absl::OkStatus();
}

}  // namespace inlet_postgres_cdc::internal
