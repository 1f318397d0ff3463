// Writing what lingerlab produces: results documents, reports, JUnit XML,
// and the rule for where (doc/security.md "Output files").
//
// An output path is written by the kind of thing it names, and never
// destroyed:
//   - nothing there, or a regular file: atomically (a temporary file in the
//     same directory, fsync, rename over it, fsync the directory), so a crash
//     leaves the previous file or the complete new one;
//   - a symlink to a regular file: its target, atomically; the link stays;
//   - a character device, a FIFO or a socket (/dev/null, /dev/stdout into a
//     pipe), or any path under /dev/ or /proc/: written through in place,
//     not atomically. /dev/full's ENOSPC is an error like any other;
//   - a directory, a block device, a symlink that resolves to nothing:
//     refused with kInvalidInput, naming what it is.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"

namespace lingerlab {

// Writes `doc` to `path` by the rule above; kInvalidInput for a path the
// rule refuses, kFailed when the write itself fails (naming errno).
Status WriteJsonAtomically(const std::string& path, const nlohmann::json& doc);
// The same for any text (a report, JUnit XML).
Status WriteTextAtomically(const std::string& path, const std::string& text);
// What the rule says of `path` before anything is written: kInvalidInput
// when it would refuse it, Ok otherwise. A run checks its --junit path so
// that a path it would refuse ends the command before the run, not after.
Status CheckOutputPath(const std::string& path);

// Holds an exclusive advisory lock (flock) on a run's output directory for
// as long as it lives, so two runs never write into one directory: the
// second is refused at once. The lock goes with the process, so a killed
// run leaves nothing to clean.
class OutputDirLock {
 public:
  // kFailed naming the directory when another process holds it, or when it
  // cannot be opened.
  static Result<OutputDirLock> Acquire(const std::string& dir);
  OutputDirLock(OutputDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  OutputDirLock& operator=(OutputDirLock&&) = delete;
  ~OutputDirLock();

 private:
  explicit OutputDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// `dir/relative`, when `relative` is a safe relative path (IsSafeRelativePath,
// agents/base/text_rules.h: names of [A-Za-z0-9._+=-] joined by '/', no
// "..", not absolute); kInvalidInput otherwise. Every file a run writes
// under its output directory is named through this, so nothing a matrix
// says can place a file outside --out.
Result<std::string> PathInside(const std::string& dir, const std::string& relative);

// Creates a new directory `parent/stem` (and `parent` if missing). mkdir is
// exclusive, so when that name is taken — another run started in the same
// second — it tries `stem-2`, `stem-3`, ... and returns the path it created.
// Two runs never share a directory this way.
Result<std::string> CreateUniqueDir(const std::string& parent, const std::string& stem);

// Points the symlink `link` at `target` (as given, e.g. a sibling's name),
// replacing what was there atomically (a new link, then rename over it), so
// a reader never finds `link` missing or half-made.
Status ReplaceSymlink(const std::string& link, const std::string& target);

// Reads a JSON file; kNotFound if missing, kInvalidInput (with position) if
// it is not JSON.
Result<nlohmann::json> ReadJsonFile(const std::string& path);

}  // namespace lingerlab
