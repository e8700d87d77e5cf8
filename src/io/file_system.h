// FileSystem: every file operation of the WAL and the cold tier goes through
// this interface, so that tests can inject faults (fault_injection_fs.h) and
// so that the cold tier can later live on object storage.
//
// The one durability primitive the Delta log needs is CreateFileIfAbsent:
// "create this log version if nobody has". On a local disk it is a temporary
// file, fsync, link(2) (which never replaces a file) and a directory fsync;
// on object storage it is a conditional put. Nothing else in the interface
// is atomic across files.
//
// Paths are plain strings (local paths for PosixFileSystem). Errors are
// IOError naming the operation and the path, NotFound for a missing file,
// AlreadyExists where documented, ResourceExhausted for a full disk
// (ENOSPC, EDQUOT), so that callers can tell "retry when space returns" from
// other faults.
//
// Thread safety: FileSystem methods are thread-safe. A WritableFile is used
// by one thread at a time; a RandomAccessFile by many.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mytsdb::io {

// A file open for appending; created empty (or truncated) when opened.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  const std::string& path() const { return path_; }
  // Appends all of `data`. On failure part of it may have been written:
  // Truncate back to the last known size before writing again.
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync). After a failed
  // Sync the file's durable contents are unknown; callers must not retry as
  // if nothing happened (the kernel may have dropped the dirty pages).
  virtual Status Sync() = 0;
  // Cuts the file to `size` bytes; later appends continue there.
  virtual Status Truncate(uint64_t size) = 0;
  // Releases the file. Does not sync.
  virtual Status Close() = 0;

 protected:
  explicit WritableFile(std::string path) : path_(std::move(path)) {}

 private:
  const std::string path_;
};

// A file open for reading at offsets. Thread-safe.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  const std::string& path() const { return path_; }
  virtual Result<uint64_t> Size() const = 0;
  // Reads up to `n` bytes at `offset` into `out`; fewer only at the end of
  // the file. Returns how many were read.
  virtual Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const = 0;

 protected:
  explicit RandomAccessFile(std::string path) : path_(std::move(path)) {}

 private:
  const std::string path_;
};

struct DirEntry {
  std::string name;  // without the directory
  bool is_directory = false;
};

struct FileStatus {
  bool exists = false;
  bool is_directory = false;
  uint64_t size = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates `path` (truncating an existing file) for appending.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) = 0;
  // The whole file. NotFound if it does not exist.
  virtual Result<std::string> ReadFile(const std::string& path);

  // Creates `path` holding `data` if no file of that name exists, durably:
  // when OK, the file and its directory entry survive a power loss.
  // AlreadyExists (and nothing changed) if the name was taken. On another
  // error, *created tells whether the name now holds `data` (the file became
  // visible but its durability is not known); `created` may be null.
  virtual Status CreateFileIfAbsent(const std::string& path, std::string_view data,
                                    bool* created) = 0;
  // Writes `data` to `path` through a temporary file that is synced and then
  // renamed over `path`, and syncs the directory: readers see the old or the
  // new contents, never a mix.
  Status WriteFileAtomically(const std::string& path, std::string_view data);

  // rename(2): replaces `to` atomically. Durable after SyncDir of both
  // parents.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // A hard link; AlreadyExists if `to` exists. For snapshots of immutable
  // files.
  virtual Status Link(const std::string& from, const std::string& to) = 0;
  // Removes a file or an empty directory. NotFound if absent.
  virtual Status Remove(const std::string& path) = 0;
  // Creates a directory and its missing parents; OK if it exists.
  virtual Status CreateDirs(const std::string& path) = 0;
  // Makes the directory's entries (creations, renames, removals) durable.
  virtual Status SyncDir(const std::string& path) = 0;
  // Entries of a directory, unsorted. NotFound if it does not exist.
  virtual Result<std::vector<DirEntry>> ListDir(const std::string& path) = 0;
  virtual Result<FileStatus> Stat(const std::string& path) = 0;
  // Cuts an existing file to `size` bytes and syncs it.
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;

  // True where a file written through NewWritableFile becomes visible only
  // whole, when its Sync completes (an object store's PUT): writers then
  // need no temporary name and rename, which there would be a copy.
  virtual bool writes_appear_whole() const { return false; }
};

// A file that must appear whole at `path` (a Parquet file, a checkpoint)
// is written at StagingPathFor(fs, path) and then published: on a local disk
// a temporary name beside it, renamed over `path` with its directory synced;
// where writes appear whole (object stores) `path` itself, and publishing
// has nothing left to do.
std::string StagingPathFor(const FileSystem* fs, const std::string& path);
Status PublishStagedFile(FileSystem* fs, const std::string& staged, const std::string& path);

// Removes `path` and, if it is a directory, everything below it. OK if it
// does not exist.
Status RemoveAll(FileSystem* fs, const std::string& path);

// Copies `from` to a new file `to` in blocks and syncs it (not its
// directory).
Status CopyFile(FileSystem* fs, const std::string& from, const std::string& to);
// Hard-links `from` to `to`, or copies it where links are not possible (a
// file system without them, another device).
Status LinkOrCopyFile(FileSystem* fs, const std::string& from, const std::string& to);

// The local file system (POSIX calls). Lives forever.
FileSystem* PosixFileSystem();

// The paths that match a shell glob (POSIX glob(3)), sorted; none when
// nothing matches; an error when the pattern could not be read.
Result<std::vector<std::string>> Glob(const std::string& pattern);

// True for a URL (s3://bucket/prefix) rather than a local path.
bool IsObjectStoreUrl(std::string_view path);

// "dir/name" without doubling the separator.
std::string JoinPath(std::string_view dir, std::string_view name);
// The directory part of a path ("a/b/c" -> "a/b"; "c" -> ".").
std::string DirName(std::string_view path);

}  // namespace mytsdb::io
