#include "io/fault_injection_fs.h"

#include <cerrno>
#include <cstring>

namespace mytsdb::io {

namespace {

Status Injected(FaultInjectionFileSystem::Op op, std::string_view path, int error) {
  std::string msg = std::string(FaultInjectionFileSystem::OpName(op)) + " " +
                    std::string(path) + ": " + std::strerror(error) + " (injected)";
  if (error == ENOSPC || error == EDQUOT) return Status::ResourceExhausted(std::move(msg));
  return Status::IOError(std::move(msg));
}

bool TakesSpace(FaultInjectionFileSystem::Op op) {
  using Op = FaultInjectionFileSystem::Op;
  return op == Op::kCreate || op == Op::kAppend || op == Op::kLink || op == Op::kRename ||
         op == Op::kCreateDirs;
}

}  // namespace

const char* FaultInjectionFileSystem::OpName(Op op) {
  switch (op) {
    case Op::kCreate: return "create";
    case Op::kAppend: return "write";
    case Op::kSync: return "fsync";
    case Op::kTruncate: return "truncate";
    case Op::kRead: return "read";
    case Op::kRename: return "rename";
    case Op::kLink: return "link";
    case Op::kRemove: return "remove";
    case Op::kCreateDirs: return "mkdir";
    case Op::kSyncDir: return "fsync directory";
    case Op::kList: return "list";
  }
  return "?";
}

// A writable file whose appends and syncs are counted, faulted and tracked.
class FaultInjectionFileSystem::File : public WritableFile {
 public:
  File(FaultInjectionFileSystem* fs, std::unique_ptr<WritableFile> base)
      : WritableFile(base->path()), fs_(fs), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    if (int err = fs_->Check(Op::kAppend)) {
      // A full disk takes part of a write before it refuses the rest.
      std::string_view half = data.substr(0, data.size() / 2);
      if (!half.empty() && base_->Append(half).ok()) {
        size_ += half.size();
        fs_->OnAppend(path(), size_);
      }
      return Injected(Op::kAppend, path(), err);
    }
    RETURN_NOT_OK(base_->Append(data));
    size_ += data.size();
    fs_->OnAppend(path(), size_);
    return Status::OK();
  }
  Status Sync() override {
    if (int err = fs_->Check(Op::kSync)) return Injected(Op::kSync, path(), err);
    RETURN_NOT_OK(base_->Sync());
    fs_->OnSync(path(), size_);
    return Status::OK();
  }
  Status Truncate(uint64_t size) override {
    if (int err = fs_->Check(Op::kTruncate)) return Injected(Op::kTruncate, path(), err);
    RETURN_NOT_OK(base_->Truncate(size));
    size_ = size;
    fs_->OnAppend(path(), size_);
    return Status::OK();
  }
  Status Close() override { return base_->Close(); }

 private:
  FaultInjectionFileSystem* const fs_;
  std::unique_ptr<WritableFile> base_;
  uint64_t size_ = 0;
};

class FaultInjectionFileSystem::ReadFile : public RandomAccessFile {
 public:
  ReadFile(FaultInjectionFileSystem* fs, std::unique_ptr<RandomAccessFile> base)
      : RandomAccessFile(base->path()), fs_(fs), base_(std::move(base)) {}
  Result<uint64_t> Size() const override { return base_->Size(); }
  Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const override {
    if (int err = fs_->Check(Op::kRead)) return Injected(Op::kRead, path(), err);
    return base_->ReadAt(offset, n, out);
  }

 private:
  FaultInjectionFileSystem* const fs_;
  std::unique_ptr<RandomAccessFile> base_;
};

FaultInjectionFileSystem::FaultInjectionFileSystem(FileSystem* base) : base_(base) {}
FaultInjectionFileSystem::~FaultInjectionFileSystem() = default;

void FaultInjectionFileSystem::FailNth(Op op, int n, int error) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_[static_cast<size_t>(op)] = {calls_[static_cast<size_t>(op)] + n, error};
}

void FaultInjectionFileSystem::ClearFailures() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_ = {};
  disk_full_ = false;
  dead_ = false;
}

void FaultInjectionFileSystem::SetDead(bool dead) {
  std::lock_guard<std::mutex> lock(mu_);
  dead_ = dead;
}

void FaultInjectionFileSystem::SetDiskFull(bool full) {
  std::lock_guard<std::mutex> lock(mu_);
  disk_full_ = full;
}

int FaultInjectionFileSystem::calls(Op op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_[static_cast<size_t>(op)];
}

int FaultInjectionFileSystem::faults_injected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return faults_;
}

int FaultInjectionFileSystem::Check(Op op) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t i = static_cast<size_t>(op);
  const int call = ++calls_[i];
  int error = 0;
  if (dead_) {
    return EIO;  // not counted as an injected fault: nothing runs any more
  } else if (rules_[i].at_call == call) {
    error = rules_[i].error;
    rules_[i] = {};
  } else if (disk_full_ && TakesSpace(op)) {
    error = ENOSPC;
  }
  if (error != 0) ++faults_;
  return error;
}

void FaultInjectionFileSystem::Track(const std::string& dir, EntryChange change) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.emplace_back(dir, std::move(change));
}

void FaultInjectionFileSystem::OnAppend(const std::string& path, uint64_t new_size) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& c = files_[path];
  if (!c) c = std::make_shared<Contents>();
  c->size = new_size;
  c->synced = std::min(c->synced, new_size);
}

void FaultInjectionFileSystem::OnSync(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& c = files_[path];
  if (!c) c = std::make_shared<Contents>();
  c->synced = std::max(c->synced, size);
}

Result<std::unique_ptr<WritableFile>> FaultInjectionFileSystem::NewWritableFile(
    const std::string& path) {
  if (int err = Check(Op::kCreate)) return Injected(Op::kCreate, path, err);
  ASSIGN_OR_RETURN(FileStatus before, base_->Stat(path));
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, base_->NewWritableFile(path));
  {
    std::lock_guard<std::mutex> lock(mu_);
    files_[path] = std::make_shared<Contents>();
  }
  if (!before.exists) Track(DirName(path), {EntryChange::kCreated, path});
  return std::unique_ptr<WritableFile>(new File(this, std::move(file)));
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionFileSystem::OpenForRead(
    const std::string& path) {
  if (int err = Check(Op::kRead)) return Injected(Op::kRead, path, err);
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, base_->OpenForRead(path));
  return std::unique_ptr<RandomAccessFile>(new ReadFile(this, std::move(file)));
}

Status FaultInjectionFileSystem::CreateFileIfAbsent(const std::string& path,
                                                    std::string_view data, bool* created) {
  // The same steps as the POSIX implementation, each one open to faults.
  if (created != nullptr) *created = false;
  const std::string tmp = path + ".fi.tmp";
  {
    ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, NewWritableFile(tmp));
    Status st = file->Append(data);
    if (st.ok()) st = file->Sync();
    (void)file->Close();
    if (!st.ok()) {
      (void)base_->Remove(tmp);
      return st;
    }
  }
  Status st = Link(tmp, path);
  (void)base_->Remove(tmp);
  if (!st.ok()) return st;
  if (created != nullptr) *created = true;
  return SyncDir(DirName(path));
}

Status FaultInjectionFileSystem::Rename(const std::string& from, const std::string& to) {
  if (int err = Check(Op::kRename)) return Injected(Op::kRename, from, err);
  EntryChange change{EntryChange::kRenamed, to, from};
  ASSIGN_OR_RETURN(FileStatus target, base_->Stat(to));
  if (target.exists && !target.is_directory) {
    change.replaced = true;
    ASSIGN_OR_RETURN(change.replaced_data, base_->ReadFile(to));
  }
  RETURN_NOT_OK(base_->Rename(from, to));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(from);
    if (it != files_.end()) {
      files_[to] = it->second;
      files_.erase(it);
    }
  }
  Track(DirName(to), std::move(change));
  return Status::OK();
}

Status FaultInjectionFileSystem::Link(const std::string& from, const std::string& to) {
  if (int err = Check(Op::kLink)) return Injected(Op::kLink, to, err);
  RETURN_NOT_OK(base_->Link(from, to));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(from);
    if (it != files_.end()) files_[to] = it->second;
  }
  Track(DirName(to), {EntryChange::kCreated, to});
  return Status::OK();
}

Status FaultInjectionFileSystem::Remove(const std::string& path) {
  if (int err = Check(Op::kRemove)) return Injected(Op::kRemove, path, err);
  RETURN_NOT_OK(base_->Remove(path));
  std::lock_guard<std::mutex> lock(mu_);
  files_.erase(path);
  return Status::OK();
}

Status FaultInjectionFileSystem::CreateDirs(const std::string& path) {
  if (int err = Check(Op::kCreateDirs)) return Injected(Op::kCreateDirs, path, err);
  // Each directory that did not exist is a new entry of its parent.
  std::vector<std::string> missing;
  for (std::string p = path; !p.empty() && p != "." && p != "/"; p = DirName(p)) {
    ASSIGN_OR_RETURN(FileStatus st, base_->Stat(p));
    if (st.exists) break;
    missing.push_back(p);
  }
  RETURN_NOT_OK(base_->CreateDirs(path));
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    Track(DirName(*it), {EntryChange::kCreatedDir, *it});
  }
  return Status::OK();
}

Status FaultInjectionFileSystem::SyncDir(const std::string& path) {
  if (int err = Check(Op::kSyncDir)) return Injected(Op::kSyncDir, path, err);
  RETURN_NOT_OK(base_->SyncDir(path));
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(pending_, [&](const auto& p) { return p.first == path; });
  return Status::OK();
}

Result<std::vector<DirEntry>> FaultInjectionFileSystem::ListDir(const std::string& path) {
  if (int err = Check(Op::kList)) return Injected(Op::kList, path, err);
  return base_->ListDir(path);
}

Result<FileStatus> FaultInjectionFileSystem::Stat(const std::string& path) {
  return base_->Stat(path);
}

Status FaultInjectionFileSystem::TruncateFile(const std::string& path, uint64_t size) {
  if (int err = Check(Op::kTruncate)) return Injected(Op::kTruncate, path, err);
  RETURN_NOT_OK(base_->TruncateFile(path, size));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it != files_.end()) it->second->size = it->second->synced = size;
  return Status::OK();
}

Status FaultInjectionFileSystem::DropUnsyncedData() {
  std::map<std::string, std::shared_ptr<Contents>> files;
  std::vector<std::pair<std::string, EntryChange>> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    files.swap(files_);
    pending.swap(pending_);
  }
  // Contents first, while the names are where the writes put them.
  for (const auto& [path, contents] : files) {
    ASSIGN_OR_RETURN(FileStatus st, base_->Stat(path));
    if (st.exists && !st.is_directory && st.size > contents->synced) {
      RETURN_NOT_OK(base_->TruncateFile(path, contents->synced));
    }
  }
  // Then the directory entries, newest change first.
  for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
    const EntryChange& c = it->second;
    switch (c.kind) {
      case EntryChange::kCreated:
        (void)base_->Remove(c.path);
        break;
      case EntryChange::kCreatedDir:
        RETURN_NOT_OK(RemoveAll(base_, c.path));
        break;
      case EntryChange::kRenamed: {
        ASSIGN_OR_RETURN(FileStatus st, base_->Stat(c.path));
        if (!st.exists) break;  // its directory went with an earlier undo
        ASSIGN_OR_RETURN(FileStatus origin, base_->Stat(DirName(c.old_path)));
        if (origin.exists) {
          RETURN_NOT_OK(base_->Rename(c.path, c.old_path));
        } else {
          RETURN_NOT_OK(RemoveAll(base_, c.path));
        }
        if (c.replaced) RETURN_NOT_OK(base_->WriteFileAtomically(c.path, c.replaced_data));
        break;
      }
    }
  }
  return Status::OK();
}

}  // namespace mytsdb::io
