#include "wal/wal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>

#include "common/atomic_util.h"
#include "common/coding.h"
#include "common/crc32c.h"

namespace mytsdb::wal {

namespace {

using io::JoinPath;

constexpr size_t kHeaderSize = 8;              // crc32c + length
constexpr uint32_t kMaxRecordSize = 1u << 30;  // a larger length is corruption
constexpr std::string_view kCheckpointPrefix = "checkpoint.";

uint32_t RecordCrc(const char* length_bytes, std::string_view payload) {
  uint32_t crc = crc32c::Extend(0, length_bytes, 4);
  return crc32c::Extend(crc, payload.data(), payload.size());
}

void AppendFramed(std::string* out, std::string_view payload) {
  char header[kHeaderSize];
  coding::EncodeFixed32(header + 4, static_cast<uint32_t>(payload.size()));
  coding::EncodeFixed32(header, RecordCrc(header + 4, payload));
  out->append(header, kHeaderSize);
  out->append(payload.data(), payload.size());
}

Status CheckRecordSizes(std::span<const std::string_view> records) {
  for (std::string_view r : records) {
    if (r.empty() || r.size() > kMaxRecordSize) {
      return Status::InvalidArgument("WAL record size " + std::to_string(r.size()) +
                                     " out of range [1, 2^30]");
    }
  }
  return Status::OK();
}

// The outcome of reading the records of one file.
struct ScanResult {
  size_t valid_bytes = 0;  // end of the last good record
  std::string problem;     // why reading stopped before the end; empty if it did not
  Status replay_status;    // what the replay function returned, if not OK
};

// Calls fn for each valid record of `data`, in order, and stops at the first
// one that does not check out or that fn refuses.
ScanResult ScanRecords(std::string_view data, const Wal::ReplayFn& fn, uint64_t* count) {
  ScanResult r;
  size_t pos = 0;
  auto stop = [&](std::string problem) {
    r.valid_bytes = pos;
    r.problem = std::move(problem);
    return r;
  };
  while (pos < data.size()) {
    const size_t left = data.size() - pos;
    std::string_view rest = data.substr(pos);
    if (std::all_of(rest.begin(), rest.end(), [](char c) { return c == 0; })) {
      return stop("zero-filled tail (" + std::to_string(left) + " bytes)");
    }
    if (left < kHeaderSize) {
      return stop("torn record header (" + std::to_string(left) + " of 8 bytes)");
    }
    const uint32_t crc = coding::DecodeFixed32(data.data() + pos);
    const uint32_t len = coding::DecodeFixed32(data.data() + pos + 4);
    if (len == 0 || len > kMaxRecordSize) {
      return stop("invalid record length " + std::to_string(len));
    }
    if (len > left - kHeaderSize) {
      return stop("torn record (length " + std::to_string(len) + ", " +
                  std::to_string(left - kHeaderSize) + " payload bytes present)");
    }
    std::string_view payload = data.substr(pos + kHeaderSize, len);
    if (RecordCrc(data.data() + pos + 4, payload) != crc) {
      return stop("record checksum mismatch (length " + std::to_string(len) + ")");
    }
    Status st = fn(payload);
    if (!st.ok()) {
      r.valid_bytes = pos;
      r.replay_status = std::move(st);
      return r;
    }
    ++*count;
    pos += kHeaderSize + len;
  }
  r.valid_bytes = pos;
  return r;
}

// Parses exactly 8 decimal digits.
bool ParseIndex(std::string_view name, int* index) {
  if (name.size() != 8 || !std::all_of(name.begin(), name.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return false;
  }
  int v = 0;
  for (char c : name) v = v * 10 + (c - '0');
  *index = v;
  return true;
}

// "corrupt.20260101T120000Z": where a repair sets aside what it cut.
std::string CorruptDirName() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "corrupt.%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

std::string SegmentName(int index) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08d", index);
  return buf;
}

std::string CheckpointName(int last_segment) {
  return std::string(kCheckpointPrefix) + SegmentName(last_segment);
}

struct Wal::Segment {
  Segment(std::unique_ptr<io::WritableFile> file, int index)
      : file(std::move(file)), index(index), path(this->file->path()) {}
  ~Segment() { (void)file->Close(); }
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  // Appended to under Wal::mu_; synced outside it (concurrently with
  // appends, which the file allows).
  const std::unique_ptr<io::WritableFile> file;
  const int index;
  const std::string path;
  uint64_t size = 0;                // bytes written; guarded by Wal::mu_
  std::atomic<uint64_t> synced{0};  // bytes known durable
};

Wal::Wal(const Options& options) : options_(options) {}

Wal::~Wal() { (void)Close(); }

Result<std::unique_ptr<Wal>> Wal::Open(const Options& options, const ReplayFn& replay,
                                       const SegmentReplayedFn& segment_replayed) {
  if (options.dir.empty()) return Status::InvalidArgument("WAL directory not set");
  if (options.segment_size == 0) return Status::InvalidArgument("WAL segment size must be > 0");
  if (options.fsync_mode == FsyncMode::kInterval && options.fsync_interval.count() <= 0) {
    return Status::InvalidArgument("WAL fsync interval must be > 0");
  }
  io::FileSystem* fs = options.fs;
  ASSIGN_OR_RETURN(io::FileStatus existing, fs->Stat(options.dir));
  if (existing.exists && !existing.is_directory) {
    return Status::IOError("WAL directory " + options.dir + " is a file");
  }
  if (!existing.exists) {
    RETURN_NOT_OK(fs->CreateDirs(options.dir).WithContext("create WAL directory"));
  }
  // Make the directory's own entry durable, also if an earlier run created it
  // and did not get that far.
  RETURN_NOT_OK(fs->SyncDir(io::DirName(options.dir)));
  std::unique_ptr<Wal> wal(new Wal(options));
  RETURN_NOT_OK(wal->Replay(replay, segment_replayed));
  if (options.fsync_mode == FsyncMode::kInterval) {
    wal->sync_thread_ = std::thread([w = wal.get()] { w->SyncLoop(); });
  }
  return wal;
}

Status Wal::Replay(const ReplayFn& replay, const SegmentReplayedFn& segment_replayed) {
  io::FileSystem* fs = options_.fs;
  const std::string& dir = options_.dir;
  std::vector<int> segments;
  std::vector<int> checkpoints;
  bool changed_dir = false;
  ASSIGN_OR_RETURN(std::vector<io::DirEntry> entries, fs->ListDir(dir));
  // Removes a file or a checkpoint directory that a completed step made
  // obsolete (never data the log still needs).
  auto remove_obsolete = [&](const std::string& name) {
    Status st = io::RemoveAll(fs, JoinPath(dir, name));
    if (!st.ok()) spdlog::warn("WAL: cannot remove {}: {}", name, st.ToString());
    changed_dir = true;
  };
  for (const io::DirEntry& entry : entries) {
    int index;
    if (ParseIndex(entry.name, &index)) {
      segments.push_back(index);
    } else if (entry.name.starts_with(kCheckpointPrefix)) {
      if (ParseIndex(std::string_view(entry.name).substr(kCheckpointPrefix.size()), &index)) {
        checkpoints.push_back(index);
      } else {
        // checkpoint.N.tmp: one that was being written when the process died;
        // the segments it would have replaced are all still there.
        spdlog::info("WAL: removing incomplete checkpoint {}", entry.name);
        remove_obsolete(entry.name);
      }
    }
  }
  std::sort(segments.begin(), segments.end());
  std::sort(checkpoints.begin(), checkpoints.end());

  auto segment_bytes = [&](size_t from) {
    uint64_t n = 0;
    for (size_t j = from; j < segments.size(); ++j) {
      auto st = fs->Stat(JoinPath(dir, SegmentName(segments[j])));
      if (st.ok()) n += st->size;
    }
    return n;
  };
  // Sets aside the segments from `from` on; they leave the log.
  auto set_aside_from = [&](size_t from, std::string* where) -> Status {
    std::vector<std::string> later;
    for (size_t j = from; j < segments.size(); ++j) later.push_back(SegmentName(segments[j]));
    segments.resize(from);
    changed_dir = true;
    return SetAside("", 0, {}, later, where);
  };

  int next_segment = 0;
  uint64_t replayed = 0;
  const auto start = std::chrono::steady_clock::now();
  if (!checkpoints.empty()) {
    const int k = checkpoints.back();
    {
      MutexLock lock(&checkpoint_mu_);
      last_checkpoint_ = k;
    }
    // Older checkpoints remain if the process died while deleting them.
    for (size_t i = 0; i + 1 < checkpoints.size(); ++i) {
      remove_obsolete(CheckpointName(checkpoints[i]));
    }
    const std::string cp = JoinPath(dir, CheckpointName(k));
    ASSIGN_OR_RETURN(std::string data, fs->ReadFile(JoinPath(cp, SegmentName(0))));
    ScanResult r = ScanRecords(data, replay, &replayed);
    RETURN_NOT_OK(r.replay_status.WithContext("WAL replay of " + cp));
    if (!r.problem.empty()) {
      // A checkpoint is renamed into place only when complete and fsynced, so
      // damage here is not a torn write but lost data: refuse to guess.
      return Status::Corruption("WAL checkpoint " + cp + ": " + r.problem + " at offset " +
                                std::to_string(r.valid_bytes));
    }
    // Segments covered by the checkpoint remain if the process died between
    // the rename and their deletion.
    size_t covered = 0;
    while (covered < segments.size() && segments[covered] <= k) {
      remove_obsolete(SegmentName(segments[covered]));
      ++covered;
    }
    segments.erase(segments.begin(), segments.begin() + covered);
    // The log continues with segment k+1; anything after a gap cannot be applied.
    if (!segments.empty() && segments.front() != k + 1) {
      const size_t n = segments.size();
      const uint64_t bytes = segment_bytes(0);
      std::string where;
      RETURN_NOT_OK(set_aside_from(0, &where));
      spdlog::error(
          "WAL: segment {} after checkpoint {} is missing: {} later segment(s), {} bytes, "
          "cannot be replayed and were moved to {}",
          SegmentName(k + 1), CheckpointName(k), n, bytes, where);
      corruptions_repaired_.fetch_add(1);
    }
    next_segment = k + 1;
  }

  // Segments must be consecutive: whatever follows a gap cannot be applied.
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i] != segments[i - 1] + 1) {
      const int missing = segments[i - 1] + 1;
      const size_t n = segments.size() - i;
      const uint64_t bytes = segment_bytes(i);
      std::string where;
      RETURN_NOT_OK(set_aside_from(i, &where));
      spdlog::error(
          "WAL: segment {} is missing: {} later segment(s), {} bytes, cannot be replayed and "
          "were moved to {}",
          SegmentName(missing), n, bytes, where);
      corruptions_repaired_.fetch_add(1);
      break;
    }
  }

  for (size_t i = 0; i < segments.size(); ++i) {
    const int index = segments[i];
    const std::string path = JoinPath(dir, SegmentName(index));
    // Progress for long replays: one line per segment when there are several.
    if (segments.size() > 1) {
      spdlog::info("WAL: replaying segment {} ({}/{})", SegmentName(index), i + 1,
                   segments.size());
    }
    ASSIGN_OR_RETURN(std::string data, fs->ReadFile(path));
    ScanResult r = ScanRecords(data, replay, &replayed);
    RETURN_NOT_OK(r.replay_status.WithContext("WAL replay of " + path));
    // A damaged segment keeps (below) exactly the records replayed from it.
    if (segment_replayed) segment_replayed(index);
    if (r.problem.empty()) continue;

    // The first damaged record ends the log: the segment is cut there, and
    // the cut bytes and the later segments are set aside, not deleted.
    const bool last = i + 1 == segments.size();
    const uint64_t cut_bytes = data.size() - r.valid_bytes;
    const uint64_t later_bytes = segment_bytes(i + 1);
    std::vector<std::string> later;
    for (size_t j = i + 1; j < segments.size(); ++j) later.push_back(SegmentName(segments[j]));
    std::string where;
    RETURN_NOT_OK(SetAside(SegmentName(index), r.valid_bytes,
                           std::string_view(data).substr(r.valid_bytes), later, &where));
    RETURN_NOT_OK(fs->TruncateFile(path, r.valid_bytes));
    segments.resize(i + 1);
    changed_dir = true;
    if (last) {
      // Expected after a crash: the bytes of a write that did not complete.
      spdlog::warn("WAL: {} in last segment {} at offset {}: cut {} bytes (kept in {})",
                   r.problem, SegmentName(index), r.valid_bytes, cut_bytes, where);
    } else {
      // Damage before the last segment: a disk fault, or an OS crash right
      // after a segment switch (before the finished segment was fsynced).
      // Either way the later records cannot be applied without these.
      spdlog::error(
          "WAL: {} in segment {} at offset {}: cut {} bytes there and set aside {} later "
          "segment(s) ({} bytes) in {}; the records in them are not replayed",
          r.problem, SegmentName(index), r.valid_bytes, cut_bytes, later.size(), later_bytes,
          where);
    }
    corruptions_repaired_.fetch_add(1);
    break;
  }
  if (changed_dir) RETURN_NOT_OK(fs->SyncDir(dir));
  if (!segments.empty()) next_segment = std::max(next_segment, segments.back() + 1);
  records_replayed_ = replayed;
  if (replayed > 0) {
    spdlog::info("WAL: replayed {} records from {}{} segment(s) in {:.2f} s", replayed,
                 checkpoints.empty() ? "" : "a checkpoint and ", segments.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  MutexLock lock(&mu_);
  return OpenSegment(next_segment);
}

Status Wal::SetAside(const std::string& segment, uint64_t cut_at, std::string_view cut_bytes,
                     const std::vector<std::string>& later, std::string* where) {
  io::FileSystem* fs = options_.fs;
  // A new directory each time, so that nothing set aside before is replaced.
  const std::string base = JoinPath(options_.dir, CorruptDirName());
  *where = base;
  for (int n = 1;; ++n) {
    ASSIGN_OR_RETURN(io::FileStatus st, fs->Stat(*where));
    if (!st.exists) break;
    *where = base + "." + std::to_string(n);
  }
  RETURN_NOT_OK(fs->CreateDirs(*where).WithContext("WAL repair"));
  if (!cut_bytes.empty()) {
    const std::string name = segment + ".from-" + std::to_string(cut_at);
    RETURN_NOT_OK(fs->WriteFileAtomically(JoinPath(*where, name), cut_bytes)
                      .WithContext("WAL repair"));
  }
  for (const std::string& name : later) {
    RETURN_NOT_OK(fs->Rename(JoinPath(options_.dir, name), JoinPath(*where, name))
                      .WithContext("WAL repair"));
  }
  RETURN_NOT_OK(fs->SyncDir(*where));
  return fs->SyncDir(options_.dir);
}

Status Wal::OpenSegment(int index) {
  std::string path = JoinPath(options_.dir, SegmentName(index));
  auto file = options_.fs->NewWritableFile(path);
  if (!file.ok()) return file.status().WithContext("create WAL segment");
  // The new file's directory entry must be durable before records in it are
  // acknowledged as durable. If that fails, the segment is given up (it
  // holds nothing yet) and the next append tries a new one: a directory
  // fsync, unlike a file's, loses no written data.
  Status st = options_.fs->SyncDir(options_.dir);
  if (!st.ok()) {
    (void)(*file)->Close();
    (void)options_.fs->Remove(path);
    spdlog::error("WAL: {}; segment {} not used", st.ToString(), SegmentName(index));
    return st;
  }
  segment_ = std::make_shared<Segment>(std::move(*file), index);
  segment_index_ = index;
  segments_created_.fetch_add(1);
  return Status::OK();
}

Status Wal::SyncSegment(Segment* segment, uint64_t size) {
  if (segment->synced.load() >= size) return Status::OK();
  RETURN_NOT_OK(segment->file->Sync());
  fsyncs_.fetch_add(1);
  AtomicMax(&segment->synced, size);
  return Status::OK();
}

Status Wal::RotateSegment() {
  // At most this many finished segments wait for an fsync; beyond, the oldest
  // is fsynced here (only with kNever or a syncer far behind: by then the
  // kernel has usually written it back, so the fsync is cheap).
  constexpr size_t kMaxPendingSegments = 2;
  const int next = segment_index_ + 1;
  if (segment_) pending_.push_back(std::move(segment_));
  segment_.reset();
  while (pending_.size() > kMaxPendingSegments) {
    Status st = SyncSegment(pending_.front().get(), pending_.front()->size);
    if (!st.ok()) {
      Fail(st);
      return st;
    }
    pending_.erase(pending_.begin());
  }
  return OpenSegment(next);
}

void Wal::Fail(const Status& st) {
  if (error_.ok()) {
    spdlog::error("WAL: {}; refusing further appends", st.ToString());
    error_ = st;
  }
}

Status Wal::failure() const {
  MutexLock lock(&mu_);
  return error_;
}

int Wal::last_checkpoint() const {
  MutexLock lock(&checkpoint_mu_);
  return last_checkpoint_;
}

Status Wal::Append(std::span<const std::string_view> records) {
  if (records.empty()) return Status::OK();
  RETURN_NOT_OK(CheckRecordSizes(records));
  uint64_t end_pos;
  {
    MutexLock lock(&mu_);
    if (closed_) return Status::Unavailable("WAL is closed");
    RETURN_NOT_OK(error_);
    buffer_.clear();
    for (std::string_view r : records) AppendFramed(&buffer_, r);
    // A record never spans segments; an append larger than a whole segment
    // gets a segment of its own. segment_ is null only after a failed open.
    if (!segment_ ||
        (segment_->size > 0 && segment_->size + buffer_.size() > options_.segment_size)) {
      RETURN_NOT_OK(RotateSegment());
    }
    Status st = segment_->file->Append(buffer_);
    if (!st.ok()) {
      // A partial batch must not stay in front of later records: take it back,
      // or refuse all further appends if even that fails.
      Status undo = segment_->file->Truncate(segment_->size);
      if (!undo.ok()) Fail(undo.WithContext("taking back a failed write"));
      return st;
    }
    segment_->size += buffer_.size();
    end_pos = written_pos_.fetch_add(buffer_.size()) + buffer_.size();
    records_written_.fetch_add(records.size());
    // Do not keep a huge buffer alive after an unusually large batch.
    if (buffer_.capacity() > (4u << 20)) std::string().swap(buffer_);
  }
  if (options_.fsync_mode == FsyncMode::kAlways) return SyncTo(end_pos);
  return Status::OK();
}

Status Wal::SyncTo(uint64_t target) {
  MutexLock sync_lock(&sync_mu_);
  // Group commit: while we waited for sync_mu_, another caller's fsync may
  // have covered our bytes.
  if (synced_pos_.load() >= target) {
    MutexLock lock(&mu_);
    return error_;
  }
  if (options_.test_hooks.before_sync) options_.test_hooks.before_sync();
  struct ToSync {
    std::shared_ptr<Segment> segment;
    uint64_t size;
  };
  std::vector<ToSync> to_sync;
  uint64_t pos;
  {
    MutexLock lock(&mu_);
    RETURN_NOT_OK(error_);
    // Everything up to pos is in these segments.
    for (const auto& s : pending_) to_sync.push_back({s, s->size});
    pending_.clear();
    if (segment_) to_sync.push_back({segment_, segment_->size});
    pos = written_pos_.load();
  }
  for (const ToSync& s : to_sync) {
    Status st = SyncSegment(s.segment.get(), s.size);
    if (!st.ok()) {
      MutexLock lock(&mu_);
      Fail(st);
      return st;
    }
  }
  AtomicMax(&synced_pos_, pos);
  return Status::OK();
}

Status Wal::Sync() { return SyncTo(written_pos_.load()); }

void Wal::SyncLoop() {
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_) {
    stop_cv_.wait_for(lock, options_.fsync_interval);
    if (stop_) break;
    if (written_pos_.load() > synced_pos_.load()) {
      lock.unlock();
      // A failure is logged by Fail() and returned by every later Append.
      (void)Sync();
      lock.lock();
    }
  }
}

Result<int> Wal::CutSegment() {
  MutexLock lock(&mu_);
  if (closed_) return Status::Unavailable("WAL is closed");
  RETURN_NOT_OK(error_);
  RETURN_NOT_OK(RotateSegment());
  return segment_index_;
}

int Wal::current_segment() const {
  MutexLock lock(&mu_);
  return segment_index_;
}

Status Wal::CreateCheckpoint(int last_segment, std::span<const std::string_view> records) {
  size_t i = 0;
  return CreateCheckpoint(last_segment, [&](std::string* record) {
    if (i == records.size()) return false;
    record->assign(records[i++]);
    return true;
  });
}

Status Wal::CreateCheckpoint(int last_segment, const RecordSource& next) {
  MutexLock cp_lock(&checkpoint_mu_);
  const int current = current_segment();
  if (last_segment < 0 || last_segment >= current) {
    return Status::InvalidArgument("WAL checkpoint must end before the current segment " +
                                   std::to_string(current) + ", got " +
                                   std::to_string(last_segment));
  }
  if (last_segment <= last_checkpoint_) {
    return Status::InvalidArgument("WAL checkpoint " + std::to_string(last_segment) +
                                   " is not newer than the existing " +
                                   CheckpointName(last_checkpoint_));
  }

  io::FileSystem* fs = options_.fs;
  const std::string& dir = options_.dir;
  const std::string name = CheckpointName(last_segment);
  const std::string tmp = JoinPath(dir, name + ".tmp");
  RETURN_NOT_OK(io::RemoveAll(fs, tmp));
  RETURN_NOT_OK(fs->CreateDirs(tmp));
  size_t num_records = 0, num_bytes = 0;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<io::WritableFile> file,
                     fs->NewWritableFile(JoinPath(tmp, SegmentName(0))));
    // Framed records are written a megabyte at a time.
    constexpr size_t kWriteSize = 1 << 20;
    std::string record, data;
    Status st;
    while (st.ok() && next(&record)) {
      std::string_view r = record;
      st = CheckRecordSizes({&r, 1});
      if (!st.ok()) break;
      AppendFramed(&data, record);
      ++num_records;
      if (data.size() >= kWriteSize) {
        num_bytes += data.size();
        st = file->Append(data);
        data.clear();
      }
    }
    num_bytes += data.size();
    if (st.ok()) st = file->Append(data);
    if (st.ok()) st = file->Sync();
    if (st.ok()) st = file->Close();
    if (!st.ok()) {
      // Never renamed into place: Open removes what is left if this fails.
      (void)io::RemoveAll(fs, tmp);
      return st;
    }
  }
  RETURN_NOT_OK(fs->SyncDir(tmp));
  RETURN_NOT_OK(fs->Rename(tmp, JoinPath(dir, name)));
  RETURN_NOT_OK(fs->SyncDir(dir));
  last_checkpoint_ = last_segment;

  // The checkpoint is durable: what it replaces can go. A failure here only
  // leaves files that the next Open removes.
  std::vector<std::string> obsolete;
  auto entries = fs->ListDir(dir);
  if (entries.ok()) {
    for (const io::DirEntry& entry : *entries) {
      int index;
      if (ParseIndex(entry.name, &index) && index <= last_segment) {
        obsolete.push_back(entry.name);
      } else if (entry.name.starts_with(kCheckpointPrefix) && entry.name != name) {
        obsolete.push_back(entry.name);
      }
    }
  }
  for (const std::string& n : obsolete) {
    Status st = io::RemoveAll(fs, JoinPath(dir, n));
    if (!st.ok()) spdlog::warn("WAL: cannot remove {}: {}", n, st.ToString());
  }
  spdlog::info("WAL: wrote {} ({} records, {} bytes), removed {} older file(s)", name,
               num_records, num_bytes, obsolete.size());
  return fs->SyncDir(dir);
}

Status Wal::CopyTo(const std::string& target) {
  MutexLock cp_lock(&checkpoint_mu_);
  io::FileSystem* fs = options_.fs;
  ASSIGN_OR_RETURN(int current, CutSegment());
  RETURN_NOT_OK(fs->CreateDirs(target));
  if (last_checkpoint_ >= 0) {
    const std::string name = CheckpointName(last_checkpoint_);
    RETURN_NOT_OK(fs->CreateDirs(JoinPath(target, name)));
    RETURN_NOT_OK(io::CopyFile(fs, JoinPath(JoinPath(options_.dir, name), SegmentName(0)),
                               JoinPath(JoinPath(target, name), SegmentName(0))));
    RETURN_NOT_OK(fs->SyncDir(JoinPath(target, name)));
  }
  ASSIGN_OR_RETURN(std::vector<io::DirEntry> entries, fs->ListDir(options_.dir));
  for (const io::DirEntry& e : entries) {
    int index;
    if (!ParseIndex(e.name, &index) || index <= last_checkpoint_ || index >= current) continue;
    RETURN_NOT_OK(io::CopyFile(fs, JoinPath(options_.dir, e.name), JoinPath(target, e.name)));
  }
  return fs->SyncDir(target);
}

Stats Wal::stats() const {
  Stats s;
  s.bytes_written = written_pos_.load();
  s.records_written = records_written_.load();
  s.fsyncs = fsyncs_.load();
  s.segments_created = segments_created_.load();
  s.corruptions_repaired = corruptions_repaired_.load();
  s.records_replayed = records_replayed_.load();
  return s;
}

Status Wal::Close() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  // sync_mu_ first: an fsync in flight finishes before Close returns.
  MutexLock sync_lock(&sync_mu_);
  MutexLock lock(&mu_);
  if (closed_) return error_;
  closed_ = true;
  if (segment_) pending_.push_back(std::move(segment_));
  segment_.reset();
  if (error_.ok()) {
    for (const auto& s : pending_) {
      Status st = SyncSegment(s.get(), s->size);
      if (!st.ok()) {
        Fail(st);
        break;
      }
    }
    if (error_.ok()) AtomicMax(&synced_pos_, written_pos_.load());
  }
  pending_.clear();
  return error_;
}

}  // namespace mytsdb::wal
