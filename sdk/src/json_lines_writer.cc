#include "inlet/internal/json_lines_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "stable_hash.h"
#include "utf8.h"

namespace inlet::internal {
namespace {

namespace fs = std::filesystem;

// How a marker recognises its file. Device and inode say it is the same
// file; they change when the file is restored from a backup or moved to
// another file system, which must still resume. So the marker also holds a
// hash of the file's last bytes before the committed length: the copy holds
// the same bytes, and another file (someone's notes, a fresh output) does
// not. A random id would have to live in the file itself, in an extended
// attribute that `cp` and most backups drop (the content belongs to the
// JSON lines); the committed bytes travel with every copy. Only the tail is
// hashed, so a resume reads a few KiB whatever the file's size.
constexpr int64_t kTailBytes = 4096;

absl::Status ErrnoError(const std::string& where, absl::string_view doing, int error) {
  std::string message = absl::StrCat(where, ": ", doing, ": ", std::strerror(error));
  if (error == ENOSPC || error == EDQUOT || error == EFBIG) {
    absl::StrAppend(&message,
                    "; free space (or raise the file size limit) and run again: with the same "
                    "recovery file the run resumes after its last committed epoch");
  }
  return absl::Status(absl::ErrnoToStatusCode(error), message);
}

// The hash of the up to kTailBytes bytes of `fd` that end at `length`.
absl::StatusOr<uint64_t> TailHash(int fd, int64_t length, const std::string& where) {
  const int64_t start = length > kTailBytes ? length - kTailBytes : 0;
  std::string tail(static_cast<size_t>(length - start), '\0');
  size_t done = 0;
  while (done < tail.size()) {
    const ssize_t n = ::pread(fd, tail.data() + done, tail.size() - done,
                              static_cast<off_t>(start + static_cast<int64_t>(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(where, "cannot read back the committed output", errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  tail.resize(done);
  return Fnv1a64(tail);
}

// `path` as text a marker can hold: markers must be valid UTF-8.
std::string MarkerText(const fs::path& path) {
  std::string text = path.string();
  if (!FindInvalidUtf8(text).has_value()) return text;
  return nlohmann::json::parse(
             nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .get<std::string>();
}

// A file marker's fields; see `Commit`.
struct FileMarker {
  std::string file;
  int64_t length = 0;
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t tail_hash = 0;
};

std::optional<FileMarker> ParseFileMarker(const nlohmann::json& marker) {
  if (!marker.is_object()) return std::nullopt;
  auto field = [&](const char* name) -> const nlohmann::json* {
    auto it = marker.find(name);
    return it == marker.end() ? nullptr : &*it;
  };
  const nlohmann::json* file = field("file");
  const nlohmann::json* length = field("length");
  const nlohmann::json* device = field("device");
  const nlohmann::json* inode = field("inode");
  const nlohmann::json* tail_hash = field("tail_hash");
  if (file == nullptr || !file->is_string() || length == nullptr || !length->is_number_integer() ||
      length->get<int64_t>() < 0 || device == nullptr || !device->is_number_unsigned() ||
      inode == nullptr || !inode->is_number_unsigned() || tail_hash == nullptr ||
      !tail_hash->is_number_unsigned()) {
    return std::nullopt;
  }
  return FileMarker{.file = file->get<std::string>(),
                    .length = length->get<int64_t>(),
                    .device = device->get<uint64_t>(),
                    .inode = inode->get<uint64_t>(),
                    .tail_hash = tail_hash->get<uint64_t>()};
}

// Writes JSON text to the end of a string through a small buffer of its own
// (a byte costs a store, not a call): structure, integers and strings that
// need no escape directly, the rest (escapes, doubles, binaries) as
// nlohmann::json dumps it.
class JsonAppender {
 public:
  explicit JsonAppender(std::string& out) : out_(out) {}
  ~JsonAppender() { Flush(); }
  JsonAppender(const JsonAppender&) = delete;
  JsonAppender& operator=(const JsonAppender&) = delete;

  void Value(const nlohmann::json& value) {
    switch (value.type()) {
      case nlohmann::json::value_t::object: {
        Put('{');
        bool first = true;
        for (const auto& [key, element] : *value.get_ptr<const nlohmann::json::object_t*>()) {
          if (!first) Put(',');
          first = false;
          if (Plain(key)) {
            Quoted(key);
          } else {
            Dump(nlohmann::json(key));
          }
          Put(':');
          Value(element);
        }
        Put('}');
        return;
      }
      case nlohmann::json::value_t::array: {
        Put('[');
        bool first = true;
        for (const nlohmann::json& element : *value.get_ptr<const nlohmann::json::array_t*>()) {
          if (!first) Put(',');
          first = false;
          Value(element);
        }
        Put(']');
        return;
      }
      case nlohmann::json::value_t::string: {
        const std::string& text = *value.get_ptr<const std::string*>();
        if (Plain(text)) {
          Quoted(text);
        } else {
          Dump(value);
        }
        return;
      }
      case nlohmann::json::value_t::number_integer:
        Number(*value.get_ptr<const int64_t*>());
        return;
      case nlohmann::json::value_t::number_unsigned:
        Number(*value.get_ptr<const uint64_t*>());
        return;
      case nlohmann::json::value_t::boolean:
        Put(*value.get_ptr<const bool*>() ? std::string_view("true") : std::string_view("false"));
        return;
      case nlohmann::json::value_t::null:
        Put("null");
        return;
      default:  // Floating point, binary, discarded: as nlohmann::json writes them.
        Dump(value);
        return;
    }
  }

 private:
  // Text nlohmann::json writes unchanged between quotes: printable ASCII
  // but the quote and the backslash (so valid UTF-8 needing no escape).
  static bool Plain(std::string_view text) {
    static constexpr auto kPlain = [] {
      std::array<bool, 256> plain{};
      for (int byte = 0x20; byte < 0x80; ++byte) plain[byte] = byte != '"' && byte != '\\';
      return plain;
    }();
    for (const char c : text) {
      if (!kPlain[static_cast<unsigned char>(c)]) return false;
    }
    return true;
  }

  void Put(char c) {
    if (used_ == buffer_.size()) Flush();
    buffer_[used_++] = c;
  }
  void Put(std::string_view text) {
    if (text.size() > buffer_.size() - used_) {
      Flush();
      if (text.size() > buffer_.size()) {
        out_.append(text);
        return;
      }
    }
    std::memcpy(buffer_.data() + used_, text.data(), text.size());
    used_ += text.size();
  }
  void Quoted(std::string_view text) {
    Put('"');
    Put(text);
    Put('"');
  }
  template <class Integer>
  void Number(Integer value) {
    std::array<char, 24> digits;
    const auto [end, error] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    static_cast<void>(error);  // 24 characters hold any 64-bit integer.
    Put(std::string_view(digits.data(), static_cast<size_t>(end - digits.data())));
  }
  // What needs escapes or number formatting is nlohmann::json's own text.
  void Dump(const nlohmann::json& value) {
    Put(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  void Flush() {
    out_.append(buffer_.data(), used_);
    used_ = 0;
  }

  std::string& out_;
  std::array<char, 1024> buffer_;
  size_t used_ = 0;
};

}  // namespace

void AppendJson(std::string& out, const nlohmann::json& value) {
  JsonAppender appender(out);
  appender.Value(value);
}

JsonLinesWriter::JsonLinesWriter()
    : file_(stdout), kind_(Kind::kStandardOutput), positioned_(true) {}

JsonLinesWriter::JsonLinesWriter(std::FILE* file, fs::path path, Kind kind, bool created)
    : file_(file), path_(std::move(path)), kind_(kind), created_(created) {
  std::error_code error;
  absolute_ = fs::absolute(path_, error).lexically_normal();
  if (error) absolute_ = path_;
  // A stream has no position to go back to: it is never truncated.
  positioned_ = kind_ != Kind::kFile;
}

absl::StatusOr<std::unique_ptr<JsonLinesWriter>> JsonLinesWriter::Open(const fs::path& path) {
  const std::string where = path.string();
  // Created exclusively, so the writer knows whether the file is its own to
  // remove when the run never starts. A file is opened for reading too: its
  // marker hashes its committed bytes. A FIFO must not be (its writer would
  // be its own reader), nor need a character device be.
  bool created = true;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    struct stat existing;
    const bool stream = ::stat(path.c_str(), &existing) == 0 &&
                        (S_ISFIFO(existing.st_mode) || S_ISCHR(existing.st_mode));
    fd = ::open(path.c_str(), (stream ? O_WRONLY : O_RDWR) | O_CLOEXEC);
    // A dangling symbolic link: created through it, but never removed.
    if (fd < 0 && errno == ENOENT) fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  }
  if (fd < 0) return ErrnoError(where, "cannot open for writing", errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return ErrnoError(where, "cannot examine", error);
  }
  Kind kind = Kind::kFile;
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    kind = Kind::kStream;
  } else if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(where,
                     ": cannot hold the output: not a regular file, a FIFO or a character "
                     "device; name a file to write"));
  }
  std::FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) {
    const int error = errno;
    ::close(fd);
    if (created) ::unlink(path.c_str());
    return ErrnoError(where, "cannot open for writing", error);
  }
  return std::unique_ptr<JsonLinesWriter>(new JsonLinesWriter(file, path, kind, created));
}

JsonLinesWriter::~JsonLinesWriter() { (void)Close(); }

std::string JsonLinesWriter::Where() const {
  return kind_ == Kind::kStandardOutput ? "standard output" : path_.string();
}

absl::Status JsonLinesWriter::Restore(const nlohmann::json& marker) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (marker.is_null()) return absl::OkStatus();
  if (file_ == nullptr) return absl::FailedPreconditionError("JsonLinesWriter is closed");
  const std::optional<FileMarker> parsed = ParseFileMarker(marker);
  if (!parsed.has_value() && !marker.is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat("JsonLinesSink: stored marker ", marker.dump(),
                                                   " is not one this sink writes"));
  }
  if (kind_ != Kind::kFile) {
    const std::string committed = parsed.has_value() ? parsed->file : "a file";
    const int64_t length = parsed.has_value() ? parsed->length : marker.get<int64_t>();
    return absl::FailedPreconditionError(
        absl::StrCat(Where(), ": the recovery store committed ", length, " bytes of output to ",
                     committed, ", which this run would leave behind; write to ", committed,
                     " to resume, or start afresh with a new recovery file"));
  }
  return RestoreFileLocked(marker);
}

absl::Status JsonLinesWriter::RestoreFileLocked(const nlohmann::json& marker) {
  const std::string where = Where();
  const int fd = ::fileno(file_);
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError(where, "cannot examine", errno);
  const std::optional<FileMarker> parsed = ParseFileMarker(marker);
  // A bare length: a marker written before markers named their file.
  const int64_t length = parsed.has_value() ? parsed->length : marker.get<int64_t>();
  const bool same_file = parsed.has_value() && static_cast<uint64_t>(st.st_dev) == parsed->device &&
                         static_cast<uint64_t>(st.st_ino) == parsed->inode;
  const bool checks_identity = parsed.has_value() && !same_file;

  auto not_the_committed_file = [&] {
    if (created_) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, ": did not exist, but the recovery store committed ", length,
          " bytes of output to ", parsed->file, ". Restore that file and write to it to resume, ",
          "or start afresh with a new recovery file"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        where, " (", st.st_size, " bytes) is not the output the recovery store committed (", length,
        " bytes of ", parsed->file, "), so resuming would overwrite it. Write to ", parsed->file,
        " to resume, or start afresh with a new recovery file"));
  };
  if (st.st_size < length) {
    if (checks_identity) return not_the_committed_file();
    return absl::DataLossError(absl::StrCat(
        where, ": the output is ", st.st_size, " bytes, shorter than the ", length,
        " bytes committed to the recovery store; it was changed outside this program"));
  }
  if (parsed.has_value()) {
    absl::StatusOr<uint64_t> tail_hash = TailHash(fd, length, where);
    if (!tail_hash.ok()) return tail_hash.status();
    if (*tail_hash != parsed->tail_hash) {
      if (checks_identity) return not_the_committed_file();
      return absl::DataLossError(absl::StrCat(
          where, ": its last bytes before the committed length (", length,
          ") differ from those committed to the recovery store; it was changed outside this "
          "program. Restore the file, or start afresh with a new recovery file"));
    }
    // With nothing committed the hash proves nothing: only the same file,
    // or an empty one, may be truncated.
    if (checks_identity && length == 0 && st.st_size > 0) return not_the_committed_file();
  }
  if (::ftruncate(fd, length) != 0) {
    return ErrnoError(where, "cannot truncate to the committed length", errno);
  }
  if (std::fseek(file_, 0, SEEK_END) != 0) return ErrnoError(where, "cannot seek", errno);
  positioned_ = true;
  return absl::OkStatus();
}

absl::Status JsonLinesWriter::PositionLocked() {
  used_ = true;
  if (positioned_) return absl::OkStatus();
  positioned_ = true;
  if (::ftruncate(::fileno(file_), 0) != 0) return ErrnoError(Where(), "cannot truncate", errno);
  return absl::OkStatus();
}

absl::Status JsonLinesWriter::Append(absl::string_view lines) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return absl::FailedPreconditionError("JsonLinesWriter is closed");
  if (absl::Status positioned = PositionLocked(); !positioned.ok()) return positioned;
  if (std::fwrite(lines.data(), 1, lines.size(), file_) != lines.size()) {
    return ErrnoError(Where(), "write failed", errno);
  }
  return absl::OkStatus();
}

absl::Status JsonLinesWriter::Flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return absl::FailedPreconditionError("JsonLinesWriter is closed");
  if (absl::Status positioned = PositionLocked(); !positioned.ok()) return positioned;
  if (std::fflush(file_) != 0) return ErrnoError(Where(), "flush failed", errno);
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> JsonLinesWriter::Commit() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return absl::FailedPreconditionError("JsonLinesWriter is closed");
  if (absl::Status positioned = PositionLocked(); !positioned.ok()) return positioned;
  const std::string where = Where();
  if (std::fflush(file_) != 0) return ErrnoError(where, "flush failed", errno);
  if (kind_ != Kind::kFile) return nlohmann::json();
  const int fd = ::fileno(file_);
#if defined(__linux__)
  if (::fdatasync(fd) != 0) return ErrnoError(where, "fdatasync failed", errno);
#else
  // macOS declares no fdatasync; fsync gives what SQLite's default gives there.
  if (::fsync(fd) != 0) return ErrnoError(where, "fsync failed", errno);
#endif
  const auto length = std::ftell(file_);
  if (length < 0) return ErrnoError(where, "cannot tell the length", errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError(where, "cannot examine", errno);
  absl::StatusOr<uint64_t> tail_hash = TailHash(fd, length, where);
  if (!tail_hash.ok()) return tail_hash.status();
  return nlohmann::json{{"file", MarkerText(absolute_)},
                        {"length", static_cast<int64_t>(length)},
                        {"device", static_cast<uint64_t>(st.st_dev)},
                        {"inode", static_cast<uint64_t>(st.st_ino)},
                        {"tail_hash", *tail_hash}};
}

absl::Status JsonLinesWriter::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return absl::OkStatus();
  // Never truncates: a run that failed before its first epoch close must
  // leave the committed output as it was.
  std::FILE* file = std::exchange(file_, nullptr);
  if (kind_ == Kind::kStandardOutput) {
    if (std::fflush(file) != 0) return ErrnoError(Where(), "flush failed", errno);
    return absl::OkStatus();
  }
  // A file this writer created and never used is removed, unless the path
  // names another file by now.
  struct stat own;
  const bool remove = created_ && !used_ && ::fstat(::fileno(file), &own) == 0;
  if (std::fclose(file) != 0) return ErrnoError(Where(), "close failed", errno);
  struct stat now;
  if (remove && ::stat(path_.c_str(), &now) == 0 && now.st_dev == own.st_dev &&
      now.st_ino == own.st_ino) {
    ::unlink(path_.c_str());
  }
  return absl::OkStatus();
}

}  // namespace inlet::internal
