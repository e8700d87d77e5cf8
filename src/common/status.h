// Status: the outcome of an operation that can fail in an expected way.
//
// Modelled on arrow::Status and leveldb::Status: cheap when OK (one null
// pointer), carries a code and a message otherwise. Callers must look at it;
// the class is [[nodiscard]].
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace mytsdb {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,  // bad input from a client: maps to HTTP 400
  kNotFound,
  kAlreadyExists,
  kOutOfRange,       // e.g. a sample outside the head's accept window
  kCorruption,       // on-disk data does not pass its checksums or framing
  kIOError,
  kResourceExhausted,  // a size or memory limit: maps to HTTP 413 / 503
  kUnavailable,        // e.g. data directory locked by another process
  kCancelled,
  kInternal,
  kUnimplemented,  // a valid request for something not built yet
  kDeadlineExceeded,  // e.g. a query over its timeout: maps to HTTP 503
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : state_(code == StatusCode::kOk
                   ? nullptr
                   : std::make_shared<const State>(State{code, std::move(message)})) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return Status(StatusCode::kInvalidArgument, std::move(msg));
  }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status AlreadyExists(std::string msg) {
    return Status(StatusCode::kAlreadyExists, std::move(msg));
  }
  static Status OutOfRange(std::string msg) {
    return Status(StatusCode::kOutOfRange, std::move(msg));
  }
  static Status Corruption(std::string msg) {
    return Status(StatusCode::kCorruption, std::move(msg));
  }
  static Status IOError(std::string msg) { return Status(StatusCode::kIOError, std::move(msg)); }
  // An IOError built from errno, e.g. IOErrorFromErrno("open", path).
  static Status IOErrorFromErrno(std::string_view what, std::string_view path);
  static Status ResourceExhausted(std::string msg) {
    return Status(StatusCode::kResourceExhausted, std::move(msg));
  }
  static Status Unavailable(std::string msg) {
    return Status(StatusCode::kUnavailable, std::move(msg));
  }
  static Status Cancelled(std::string msg) {
    return Status(StatusCode::kCancelled, std::move(msg));
  }
  static Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }
  static Status Unimplemented(std::string msg) {
    return Status(StatusCode::kUnimplemented, std::move(msg));
  }
  static Status DeadlineExceeded(std::string msg) {
    return Status(StatusCode::kDeadlineExceeded, std::move(msg));
  }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return ok() ? StatusCode::kOk : state_->code; }
  const std::string& message() const;
  bool IsInvalidArgument() const { return code() == StatusCode::kInvalidArgument; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsCorruption() const { return code() == StatusCode::kCorruption; }
  bool IsOutOfRange() const { return code() == StatusCode::kOutOfRange; }

  // "Corruption: bad record checksum" or "OK".
  std::string ToString() const;
  // A copy with `context + ": "` put in front of the message.
  Status WithContext(std::string_view context) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  // Shared so that copies are cheap; a State is never modified.
  std::shared_ptr<const State> state_;
};

}  // namespace mytsdb

// Returns from the current function if `expr` yields a non-OK Status. The
// type is deduced, so the macro also serves Arrow's inline header code, which
// uses a RETURN_NOT_OK of its own only when none is defined (arrow/status.h);
// Arrow's, if its header came first, is replaced.
#ifdef RETURN_NOT_OK
#undef RETURN_NOT_OK
#endif
#define RETURN_NOT_OK(expr)                     \
  do {                                          \
    auto _status_tmp = (expr);                  \
    if (!_status_tmp.ok()) return _status_tmp;  \
  } while (0)
