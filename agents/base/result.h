// Result<T> and Status: the one type lingerlab uses for expected failures.
//
// A function that can fail in a way the caller should handle (a bad matrix
// file, a lost agent, a missing capability) returns Status or Result<T>.
// Exceptions are reserved for programming errors. A failed syscall inside a
// test case is neither: it is an outcome, recorded in the case's events.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace lingerlab {

// Error kinds that callers branch on; everything else is kFailed.
enum class ErrorCode {
  kFailed,        // generic failure; the message says what
  kInvalidInput,  // a file, message or argument is malformed
  kNotFound,      // a named thing does not exist
  kTimeout,       // a named deadline passed
  kClosed,        // the peer closed the channel
  kPermission,    // needs privileges we do not have (e.g. CAP_NET_ADMIN)
  kUnsupported,   // not available on this platform
  kCancelled,     // the run was interrupted
  kBusy,          // the peer is serving someone else; try again later
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kFailed;
  std::string message;
};

class Status {
 public:
  Status() = default;                        // ok
  Status(Error e) : error_(std::move(e)) {}  // NOLINT: implicit by design

  static Status Ok() { return Status(); }
  bool ok() const { return !error_.has_value(); }
  const Error& error() const { return *error_; }
  const std::string& message() const { return error_->message; }
  ErrorCode code() const { return error_->code; }

 private:
  std::optional<Error> error_;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error e) : v_(std::move(e)) {}      // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const Error& error() const { return std::get<Error>(v_); }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// strerror(err) as a string, for the messages of errors from system calls.
std::string ErrnoText(int err);

}  // namespace lingerlab
