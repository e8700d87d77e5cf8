// Result<T>: either a value of type T or a non-OK Status (arrow::Result's
// shape). Use ASSIGN_OR_RETURN to unwrap inside a function returning Status
// or Result.
#pragma once

#include <cassert>
#include <optional>
#include <utility>

#include "common/status.h"

namespace mytsdb {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "Result built from an OK Status has no value");
    if (status_.ok()) status_ = Status::Internal("Result constructed from OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  // Moves the value out; only valid when ok().
  T MoveValue() { return std::move(*value_); }
  // The value, or `fallback` when there is none (the error is dropped).
  T ValueOr(T fallback) && { return ok() ? std::move(*value_) : std::move(fallback); }

  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace mytsdb

#define MYTSDB_CONCAT_INNER(a, b) a##b
#define MYTSDB_CONCAT(a, b) MYTSDB_CONCAT_INNER(a, b)

#define MYTSDB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                 \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value();

// ASSIGN_OR_RETURN(auto file, OpenFile(path)); returns the Status on failure.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  MYTSDB_ASSIGN_OR_RETURN_IMPL(MYTSDB_CONCAT(_result_tmp_, __LINE__), lhs, rexpr)
