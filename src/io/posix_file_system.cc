// The local file system behind io::FileSystem: plain POSIX calls, every
// error mapped to a Status that names the call and the path.
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "io/file_system.h"

#include <glob.h>

namespace mytsdb::io {

namespace {

Status ErrnoStatus(std::string_view what, std::string_view path, int err) {
  std::string msg = std::string(what) + " " + std::string(path) + ": " + std::strerror(err);
  switch (err) {
    case ENOENT: return Status::NotFound(std::move(msg));
    case EEXIST: return Status::AlreadyExists(std::move(msg));
    case ENOSPC:
    case EDQUOT: return Status::ResourceExhausted(std::move(msg));
    default: return Status::IOError(std::move(msg));
  }
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

std::string TempNameFor(const std::string& path) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, ".%016llx.tmp", static_cast<unsigned long long>(rng()));
  std::string dir = DirName(path);
  std::string base = path.substr(path.find_last_of('/') == std::string::npos
                                     ? 0
                                     : path.find_last_of('/') + 1);
  return JoinPath(dir, "." + base + suffix);
}

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : WritableFile(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override { (void)Close(); }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Status::IOError("append to closed file " + path());
    return WriteAll(fd_, data, path());
  }
  Status Sync() override {
    if (fd_ < 0) return Status::IOError("sync of closed file " + path());
    if (::fdatasync(fd_) != 0) return ErrnoStatus("fsync", path(), errno);
    return Status::OK();
  }
  Status Truncate(uint64_t size) override {
    if (fd_ < 0) return Status::IOError("truncate of closed file " + path());
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return ErrnoStatus("truncate", path(), errno);
    }
    return Status::OK();
  }
  Status Close() override {
    if (fd_ < 0) return Status::OK();
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? Status::OK() : ErrnoStatus("close", path(), errno);
  }

 private:
  int fd_;
};

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : RandomAccessFile(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Result<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus("stat", path(), errno);
    return static_cast<uint64_t>(st.st_size);
  }
  Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("read", path(), errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }

 private:
  const int fd_;
};

class Posix : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("create", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd));
  }

  Status CreateFileIfAbsent(const std::string& path, std::string_view data,
                            bool* created) override {
    if (created != nullptr) *created = false;
    const std::string tmp = TempNameFor(path);
    {
      int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) return ErrnoStatus("create", tmp, errno);
      Status st = WriteAll(fd, data, tmp);
      if (st.ok() && ::fsync(fd) != 0) st = ErrnoStatus("fsync", tmp, errno);
      ::close(fd);
      if (!st.ok()) {
        ::unlink(tmp.c_str());
        return st;
      }
    }
    // link(2) refuses to replace an existing name: the version is claimed at
    // most once, by whoever links first.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      Status st = ErrnoStatus("link", path, errno);
      ::unlink(tmp.c_str());
      return st;
    }
    if (created != nullptr) *created = true;
    ::unlink(tmp.c_str());
    return SyncDir(DirName(path));
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("rename " + from + " to", to, errno);
    return Status::OK();
  }

  Status Link(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) != 0) return ErrnoStatus("link " + from + " to", to, errno);
    return Status::OK();
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) == 0) return Status::OK();
    if (errno == EISDIR || errno == EPERM) {
      if (::rmdir(path.c_str()) == 0) return Status::OK();
    }
    return ErrnoStatus("remove", path, errno);
  }

  Status CreateDirs(const std::string& path) override {
    if (path.empty()) return Status::OK();
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return Status::OK();
      return Status::IOError("create directory " + path + ": a file of that name exists");
    }
    std::string parent = DirName(path);
    if (parent != path && parent != "." && parent != "/") RETURN_NOT_OK(CreateDirs(parent));
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoStatus("create directory", path, errno);
    }
    return Status::OK();
  }

  Status SyncDir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open directory", path, errno);
    Status st = ::fsync(fd) == 0 ? Status::OK() : ErrnoStatus("fsync directory", path, errno);
    ::close(fd);
    return st;
  }

  Result<std::vector<DirEntry>> ListDir(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return ErrnoStatus("list", path, errno);
    std::vector<DirEntry> out;
    errno = 0;
    while (dirent* e = ::readdir(dir)) {
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        struct stat st;
        std::string full = JoinPath(path, name);
        is_dir = ::stat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      out.push_back({std::string(name), is_dir});
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return ErrnoStatus("list", path, err);
    return out;
  }

  Result<FileStatus> Stat(const std::string& path) override {
    struct stat st;
    FileStatus out;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return out;
      return ErrnoStatus("stat", path, errno);
    }
    out.exists = true;
    out.is_directory = S_ISDIR(st.st_mode);
    out.size = static_cast<uint64_t>(st.st_size);
    return out;
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    Status st;
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      st = ErrnoStatus("truncate", path, errno);
    } else if (::fsync(fd) != 0) {
      st = ErrnoStatus("fsync", path, errno);
    }
    ::close(fd);
    return st;
  }
};

}  // namespace

Result<std::string> FileSystem::ReadFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, OpenForRead(path));
  ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string data(static_cast<size_t>(size), '\0');
  ASSIGN_OR_RETURN(size_t n, file->ReadAt(0, data.size(), data.data()));
  data.resize(n);
  return data;
}

Status FileSystem::WriteFileAtomically(const std::string& path, std::string_view data) {
  if (writes_appear_whole()) {
    ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, NewWritableFile(path));
    RETURN_NOT_OK(file->Append(data));
    RETURN_NOT_OK(file->Sync());
    return file->Close();
  }
  const std::string tmp = TempNameFor(path);
  {
    ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, NewWritableFile(tmp));
    Status st = file->Append(data);
    if (st.ok()) st = file->Sync();
    if (st.ok()) st = file->Close();
    if (!st.ok()) {
      (void)Remove(tmp);
      return st;
    }
  }
  Status st = Rename(tmp, path);
  if (!st.ok()) {
    (void)Remove(tmp);
    return st;
  }
  return SyncDir(DirName(path));
}

bool IsObjectStoreUrl(std::string_view path) { return path.find("://") != std::string_view::npos; }

std::string StagingPathFor(const FileSystem* fs, const std::string& path) {
  return fs->writes_appear_whole() ? path : path + ".tmp";
}

Status PublishStagedFile(FileSystem* fs, const std::string& staged, const std::string& path) {
  if (staged == path) return Status::OK();
  RETURN_NOT_OK(fs->Rename(staged, path));
  // The rename is durable only with its directory; until then a power loss
  // could leave a commit referring to a file that is not there.
  return fs->SyncDir(DirName(path));
}

Status RemoveAll(FileSystem* fs, const std::string& path) {
  ASSIGN_OR_RETURN(FileStatus st, fs->Stat(path));
  if (!st.exists) return Status::OK();
  if (st.is_directory) {
    ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs->ListDir(path));
    for (const DirEntry& e : entries) RETURN_NOT_OK(RemoveAll(fs, JoinPath(path, e.name)));
  }
  Status removed = fs->Remove(path);
  return removed.code() == StatusCode::kNotFound ? Status::OK() : removed;
}

Status CopyFile(FileSystem* fs, const std::string& from, const std::string& to) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> in, fs->OpenForRead(from));
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> out, fs->NewWritableFile(to));
  std::string buffer(1 << 20, '\0');
  uint64_t offset = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, in->ReadAt(offset, buffer.size(), buffer.data()));
    if (n == 0) break;
    RETURN_NOT_OK(out->Append(std::string_view(buffer.data(), n)));
    offset += n;
  }
  RETURN_NOT_OK(out->Sync());
  return out->Close();
}

Status LinkOrCopyFile(FileSystem* fs, const std::string& from, const std::string& to) {
  Status linked = fs->Link(from, to);
  if (linked.ok() || linked.code() == StatusCode::kAlreadyExists ||
      linked.code() == StatusCode::kNotFound) {
    return linked;
  }
  return CopyFile(fs, from, to);
}

Result<std::vector<std::string>> Glob(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> paths(g.gl_pathv, g.gl_pathv + (rc == 0 ? g.gl_pathc : 0));
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) return Status::IOError("cannot read the glob " + pattern);
  return paths;
}

FileSystem* PosixFileSystem() {
  static Posix fs;
  return &fs;
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  if (out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string DirName(std::string_view path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace mytsdb::io
