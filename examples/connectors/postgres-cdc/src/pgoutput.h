// Decoding of pgoutput, PostgreSQL's built-in logical decoding output
// (protocol version 1, text format: column values as the server's output
// functions write them). Internal to the connector; see
// https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html

#ifndef INLET_POSTGRES_CDC_PGOUTPUT_H_
#define INLET_POSTGRES_CDC_PGOUTPUT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace inlet_postgres_cdc::internal {

// A WAL position, written as PostgreSQL writes it: "16/B374D848".
std::string FormatLsn(uint64_t lsn);
absl::StatusOr<uint64_t> ParseLsn(std::string_view text);

// Microseconds since 2000-01-01 UTC (PostgreSQL's epoch) as RFC 3339 UTC with
// microseconds: "2026-12-02T07:10:00.123456Z".
std::string FormatPgTimestamp(int64_t micros);

// Reads big-endian integers and NUL-terminated strings off a message,
// failing (not reading past the end) on a truncated one.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  absl::StatusOr<uint8_t> Byte();
  absl::StatusOr<int16_t> Int16();
  absl::StatusOr<int32_t> Int32();
  absl::StatusOr<int64_t> Int64();
  absl::StatusOr<std::string> CString();
  absl::StatusOr<std::string_view> Bytes(size_t n);
  size_t remaining() const { return data_.size(); }

 private:
  std::string_view data_;
};

// Turns the pgoutput messages of a replication stream into change messages:
//   {"table": "public.orders", "op": "insert" | "update" | "delete" | "truncate",
//    "key": {...} | null, "old": {...} | null, "new": {...} | null,
//    "commit_lsn": "0/1A2B3C8", "commit_time": "2026-12-02T07:10:00.123456Z", "xid": 731}
// Column values are the server's text output, converted where JSON has the
// type: bool -> true/false, int2/int4/int8/oid -> integer, float4/float8 ->
// number (NaN and infinities stay strings), json/jsonb -> the JSON value,
// NULL -> null; every other type (numeric, timestamptz, bytea as "\x...",
// text, ...) -> its text. A TOASTed column an update left unchanged is
// absent from "new" (pgoutput does not send it).
class Decoder {
 public:
  // What one pgoutput message meant.
  struct Event {
    enum class Kind { kNone, kBegin, kChange, kCommit };
    Kind kind = Kind::kNone;
    nlohmann::json change = {};   // kChange: one message per row (per table for a truncate).
    uint64_t commit_end_lsn = 0;  // kCommit: the end of the commit record, the resume point.
  };

  // Decodes one message (the payload of an XLogData), appending what it
  // meant to `events`. Fails naming the message type and what was wrong on
  // a malformed or unknown message; `events` may then hold part of it.
  absl::Status Decode(std::string_view message, std::vector<Event>& events);
  // The same, returning the events.
  absl::StatusOr<std::vector<Event>> Decode(std::string_view message);

  bool in_transaction() const { return in_transaction_; }

 private:
  struct Column {
    std::string name;
    uint32_t type_oid = 0;
    bool key = false;
  };
  struct Relation {
    std::string table;  // "schema.name"
    std::vector<Column> columns;
  };

  absl::StatusOr<nlohmann::json> ReadTuple(Reader& reader, const Relation& relation);
  absl::StatusOr<const Relation*> FindRelation(int32_t oid) const;
  nlohmann::json Change(const Relation& relation, std::string_view op, nlohmann::json key,
                        nlohmann::json old_row, nlohmann::json new_row) const;
  static nlohmann::json KeyOf(const Relation& relation, const nlohmann::json& tuple);

  std::unordered_map<int32_t, Relation> relations_;
  bool in_transaction_ = false;
  // The current transaction's, formatted once at its Begin.
  std::string commit_lsn_;
  std::string commit_time_;
  int64_t xid_ = 0;
};

}  // namespace inlet_postgres_cdc::internal

#endif  // INLET_POSTGRES_CDC_PGOUTPUT_H_
