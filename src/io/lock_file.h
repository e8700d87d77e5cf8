// LockFile: makes a data directory exclusive to one process.
//
// Holds an flock(2) on DIR/LOCK for as long as the object lives; the kernel
// drops the lock when the process dies, even by SIGKILL, so a crash never
// leaves a stale lock behind. The file holds the owner's pid for the error
// message of the next process that tries.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"

namespace mytsdb::io {

class LockFile {
 public:
  // Unavailable, naming the holder's pid, if another process holds the lock.
  static Result<std::unique_ptr<LockFile>> Acquire(const std::string& dir);
  ~LockFile();
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

 private:
  explicit LockFile(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace mytsdb::io
