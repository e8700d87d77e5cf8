// FaultInjectionFileSystem: a FileSystem for tests that fails chosen calls
// and simulates a power loss, after RocksDB's FaultInjectionTestFS.
//
//   - FailNth(op, n, errno): the n-th call of `op` from now fails with that
//     errno (EIO, ENOSPC, ...); a failing Append first writes half of its
//     bytes, as a full disk does.
//   - SetDiskFull(true): every call that would take space (create, append,
//     link, rename) fails with ENOSPC until SetDiskFull(false).
//   - SetDead(true): every call fails with EIO, as for a process that has
//     died: a test then destroys its objects (whose shutdown writes and
//     syncs must not count) before DropUnsyncedData.
//   - DropUnsyncedData(): what a power cut loses. Every file written through
//     this object is cut back to the bytes its last Sync made durable, and
//     every directory entry created, linked or renamed since the last SyncDir
//     of its directory is undone (new names removed, renames moved back).
//     Removals are not undone (a file removed before the cut stays removed).
//
// kill -9 never loses page-cache data, so only this shows a missing fsync.
// Thread-safe. Wraps `base`, which must outlive it.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io/file_system.h"

namespace mytsdb::io {

class FaultInjectionFileSystem : public FileSystem {
 public:
  enum class Op {
    kCreate,      // NewWritableFile
    kAppend,      // WritableFile::Append
    kSync,        // WritableFile::Sync
    kTruncate,    // WritableFile::Truncate, TruncateFile
    kRead,        // OpenForRead and RandomAccessFile::ReadAt
    kRename,
    kLink,        // Link, and the link step of CreateFileIfAbsent
    kRemove,
    kCreateDirs,
    kSyncDir,
    kList,
  };
  static constexpr size_t kNumOps = 11;
  static const char* OpName(Op op);

  explicit FaultInjectionFileSystem(FileSystem* base);
  ~FaultInjectionFileSystem() override;

  // The n-th (1-based) call of `op` from now fails with `error`. Replaces an
  // earlier rule for the same op.
  void FailNth(Op op, int n, int error);
  void ClearFailures();
  void SetDiskFull(bool full);
  void SetDead(bool dead);
  // Calls of `op` so far, and faults injected so far.
  int calls(Op op) const;
  int faults_injected() const;

  // Simulates a power loss (see above) and forgets all tracking: the files
  // are as a restarted machine would find them.
  Status DropUnsyncedData();

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) override;
  Status CreateFileIfAbsent(const std::string& path, std::string_view data,
                            bool* created) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Link(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status CreateDirs(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Result<std::vector<DirEntry>> ListDir(const std::string& path) override;
  Result<FileStatus> Stat(const std::string& path) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  bool writes_appear_whole() const override { return base_->writes_appear_whole(); }

 private:
  class File;
  class ReadFile;
  friend class File;
  friend class ReadFile;

  // Durable and written sizes of a file's contents (shared by hard links).
  struct Contents {
    uint64_t size = 0;
    uint64_t synced = 0;
  };
  // A change to a directory that a power loss undoes until SyncDir.
  struct EntryChange {
    enum Kind { kCreated, kRenamed, kCreatedDir } kind;
    std::string path;       // the new name
    std::string old_path = {};   // kRenamed: where it came from
    bool replaced = false;  // kRenamed: `path` existed and was replaced...
    std::string replaced_data = {};  // ...with these bytes (files only)
  };

  // Counts a call of `op`; returns the errno to fail it with, or 0.
  int Check(Op op);
  void Track(const std::string& dir, EntryChange change);
  void OnAppend(const std::string& path, uint64_t new_size);
  void OnSync(const std::string& path, uint64_t size);

  FileSystem* const base_;
  mutable std::mutex mu_;
  std::array<int, kNumOps> calls_{};
  struct Rule {
    int at_call = 0;  // absolute call number that fails; 0: none
    int error = 0;
  };
  std::array<Rule, kNumOps> rules_{};
  bool disk_full_ = false;
  bool dead_ = false;
  int faults_ = 0;
  std::map<std::string, std::shared_ptr<Contents>> files_;
  // Directory changes not yet made durable, oldest first, with their directory.
  std::vector<std::pair<std::string, EntryChange>> pending_;
};

}  // namespace mytsdb::io
