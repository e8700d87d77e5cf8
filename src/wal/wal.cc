#include "wal/wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "common/atomic_util.h"
#include "common/coding.h"
#include "common/crc32c.h"

namespace mytsdb::wal {

namespace fs = std::filesystem;

namespace {

constexpr size_t kHeaderSize = 8;               // crc32c + length
constexpr uint32_t kMaxRecordSize = 1u << 30;  // a bigger length is corruption
constexpr const char* kCheckpointPrefix = "checkpoint.";

uint32_t RecordCrc(const char* length_bytes, std::string_view payload) {
  uint32_t crc = crc32c::Extend(0, length_bytes, 4);
  return crc32c::Extend(crc, payload.data(), payload.size());
}

void AppendFramed(std::string* out, std::string_view payload) {
  char len[4];
  uint32_t n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) len[i] = static_cast<char>(n >> (8 * i));
  coding::PutFixed32(out, RecordCrc(len, payload));
  out->append(len, 4);
  out->append(payload.data(), payload.size());
}

Status WriteAll(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::IOErrorFromErrno("write", path);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOErrorFromErrno("open directory", dir);
  int rc = ::fsync(fd);
  Status st = rc == 0 ? Status::OK() : Status::IOErrorFromErrno("fsync directory", dir);
  ::close(fd);
  return st;
}

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOErrorFromErrno("open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = Status::IOErrorFromErrno("stat", path);
    ::close(fd);
    return s;
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < data.size()) {
    ssize_t r = ::pread(fd, data.data() + off, data.size() - off, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      Status s = Status::IOErrorFromErrno("read", path);
      ::close(fd);
      return s;
    }
    if (r == 0) break;
    off += static_cast<size_t>(r);
  }
  data.resize(off);
  ::close(fd);
  return data;
}

// Parses records from `data`. Calls fn for each valid one; stops at the first
// invalid one and returns its offset and the reason, or data.size() if all
// were valid.
struct ScanResult {
  size_t valid_bytes;
  std::string problem;  // empty if the whole buffer was valid
  Status replay_status;
};

ScanResult ScanRecords(std::string_view data, const Wal::ReplayFn& fn, uint64_t* count) {
  size_t pos = 0;
  while (pos < data.size()) {
    size_t left = data.size() - pos;
    if (left < kHeaderSize) {
      return {pos, "torn record header (" + std::to_string(left) + " bytes)", Status::OK()};
    }
    uint32_t crc = coding::DecodeFixed32(data.data() + pos);
    uint32_t len = coding::DecodeFixed32(data.data() + pos + 4);
    if (len == 0 && crc == 0) return {pos, "zero-filled tail", Status::OK()};
    if (len == 0 || len > kMaxRecordSize) {
      return {pos, "invalid record length " + std::to_string(len), Status::OK()};
    }
    if (len > left - kHeaderSize) {
      return {pos, "torn record (" + std::to_string(len) + " byte payload, " +
                       std::to_string(left - kHeaderSize) + " present)",
              Status::OK()};
    }
    std::string_view payload = data.substr(pos + kHeaderSize, len);
    if (RecordCrc(data.data() + pos + 4, payload) != crc) {
      return {pos, "record checksum mismatch", Status::OK()};
    }
    Status st = fn(payload);
    if (!st.ok()) return {pos, "", st};
    ++*count;
    pos += kHeaderSize + len;
  }
  return {pos, "", Status::OK()};
}

bool ParseSegmentName(const std::string& name, int* index) {
  if (name.size() != 8 || !std::all_of(name.begin(), name.end(), ::isdigit)) return false;
  *index = std::stoi(name);
  return true;
}

}  // namespace

std::string SegmentName(int index) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08d", index);
  return buf;
}

struct Wal::Segment {
  Segment(int fd, int index, std::string path) : fd(fd), index(index), path(std::move(path)) {}
  ~Segment() { ::close(fd); }
  const int fd;
  const int index;
  const std::string path;
  uint64_t size = 0;  // guarded by Wal::mu_
};

Wal::Wal(const Options& options) : options_(options) {}

Wal::~Wal() { (void)Close(); }

Result<std::unique_ptr<Wal>> Wal::Open(const Options& options, const ReplayFn& replay) {
  if (options.dir.empty()) return Status::InvalidArgument("WAL directory not set");
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Status::IOError("create WAL directory " + options.dir + ": " + ec.message());
  std::unique_ptr<Wal> wal(new Wal(options));
  RETURN_NOT_OK(wal->Replay(replay));
  if (options.fsync_mode == FsyncMode::kInterval) {
    wal->sync_thread_ = std::thread([w = wal.get()] { w->SyncLoop(); });
  }
  return wal;
}

Status Wal::Replay(const ReplayFn& replay) {
  std::vector<int> segments;
  std::vector<int> checkpoints;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    std::string name = entry.path().filename().string();
    int index;
    if (ParseSegmentName(name, &index)) {
      segments.push_back(index);
    } else if (name.rfind(kCheckpointPrefix, 0) == 0) {
      std::string rest = name.substr(std::string(kCheckpointPrefix).size());
      if (ParseSegmentName(rest, &index)) {
        checkpoints.push_back(index);
      } else {
        // A checkpoint that was being written when the process died.
        fs::remove_all(entry.path(), ec);
      }
    }
  }
  if (ec) return Status::IOError("list WAL directory " + options_.dir + ": " + ec.message());
  std::sort(segments.begin(), segments.end());
  std::sort(checkpoints.begin(), checkpoints.end());

  int next_segment = 0;
  uint64_t replayed = 0;
  if (!checkpoints.empty()) {
    int k = checkpoints.back();
    for (size_t i = 0; i + 1 < checkpoints.size(); ++i) {
      fs::remove_all(fs::path(options_.dir) / (kCheckpointPrefix + SegmentName(checkpoints[i])), ec);
    }
    fs::path dir = fs::path(options_.dir) / (kCheckpointPrefix + SegmentName(k));
    ASSIGN_OR_RETURN(std::string data, ReadFile((dir / SegmentName(0)).string()));
    ScanResult r = ScanRecords(data, replay, &replayed);
    RETURN_NOT_OK(r.replay_status);
    if (!r.problem.empty()) {
      // Checkpoints are renamed into place only when complete, so damage here
      // is real corruption, not a torn write.
      return Status::Corruption("WAL checkpoint " + dir.string() + ": " + r.problem +
                                " at offset " + std::to_string(r.valid_bytes));
    }
    // Segments covered by the checkpoint may remain if the process died
    // between the rename and their deletion.
    while (!segments.empty() && segments.front() <= k) {
      fs::remove(fs::path(options_.dir) / SegmentName(segments.front()), ec);
      segments.erase(segments.begin());
    }
    next_segment = k + 1;
  }

  // Segments must be consecutive: whatever follows a gap cannot be applied.
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i] != segments[i - 1] + 1) {
      spdlog::warn("WAL: segment {} is missing: removing {} later segment(s)",
                   SegmentName(segments[i - 1] + 1), segments.size() - i);
      for (size_t j = i; j < segments.size(); ++j) {
        fs::remove(fs::path(options_.dir) / SegmentName(segments[j]), ec);
      }
      segments.resize(i);
      corruptions_repaired_.fetch_add(1);
      break;
    }
  }

  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < segments.size(); ++i) {
    int index = segments[i];
    std::string path = (fs::path(options_.dir) / SegmentName(index)).string();
    // Progress for long replays: one line per segment when there are several.
    if (segments.size() > 1) {
      spdlog::info("WAL: replaying segment {} ({}/{})", SegmentName(index), i + 1,
                   segments.size());
    }
    ASSIGN_OR_RETURN(std::string data, ReadFile(path));
    ScanResult r = ScanRecords(data, replay, &replayed);
    RETURN_NOT_OK(r.replay_status.WithContext("WAL replay of " + path));
    if (r.problem.empty()) continue;
    // The first damaged record ends the log.
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(r.valid_bytes)) != 0 || ::fsync(fd) != 0) {
      Status st = Status::IOErrorFromErrno("truncate", path);
      if (fd >= 0) ::close(fd);
      return st;
    }
    ::close(fd);
    spdlog::warn("WAL: {} in segment {} at offset {}: cut {} bytes there and {} later segment(s)",
                 r.problem, SegmentName(index), r.valid_bytes, data.size() - r.valid_bytes,
                 segments.size() - i - 1);
    for (size_t j = i + 1; j < segments.size(); ++j) {
      fs::remove(fs::path(options_.dir) / SegmentName(segments[j]), ec);
    }
    segments.resize(i + 1);
    corruptions_repaired_.fetch_add(1);
    RETURN_NOT_OK(SyncDir(options_.dir));
    break;
  }
  if (!segments.empty()) next_segment = std::max(next_segment, segments.back() + 1);
  records_replayed_ = replayed;
  if (!segments.empty()) {
    spdlog::info("WAL: replayed {} records from {} segment(s) in {:.2f} s", replayed,
                 segments.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  MutexLock lock(&mu_);
  return OpenSegment(next_segment);
}

Status Wal::OpenSegment(int index) {
  std::string path = (fs::path(options_.dir) / SegmentName(index)).string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOErrorFromErrno("create WAL segment", path);
  segment_ = std::make_shared<Segment>(fd, index, path);
  segment_index_ = index;
  segments_created_.fetch_add(1);
  // The new file's directory entry must be durable before records in it are
  // acknowledged as durable.
  return SyncDir(options_.dir);
}

Status Wal::CloseSegment() {
  if (!segment_) return Status::OK();
  // Everything in a finished segment is made durable before the next one
  // starts, so the syncer only ever needs to fsync the current segment.
  if (::fdatasync(segment_->fd) != 0) return Status::IOErrorFromErrno("fsync", segment_->path);
  fsyncs_.fetch_add(1);
  AtomicMax(&synced_pos_, written_pos_.load());
  segment_.reset();
  return Status::OK();
}

Status Wal::Append(std::span<const std::string_view> records) {
  if (records.empty()) return Status::OK();
  uint64_t end_pos;
  {
    MutexLock lock(&mu_);
    if (closed_) return Status::Unavailable("WAL is closed");
    buffer_.clear();
    for (std::string_view r : records) {
      if (r.empty() || r.size() > kMaxRecordSize) {
        return Status::InvalidArgument("WAL record size " + std::to_string(r.size()) +
                                       " out of range");
      }
      AppendFramed(&buffer_, r);
    }
    if (segment_->size > 0 && segment_->size + buffer_.size() > options_.segment_size) {
      int next = segment_index_ + 1;
      RETURN_NOT_OK(CloseSegment());
      RETURN_NOT_OK(OpenSegment(next));
    }
    Status st = WriteAll(segment_->fd, buffer_.data(), buffer_.size(), segment_->path);
    if (!st.ok()) {
      // A partial record must not stay in front of later ones: take it back,
      // or refuse all further appends if even that fails.
      if (::ftruncate(segment_->fd, static_cast<off_t>(segment_->size)) != 0) {
        closed_ = true;
        spdlog::error("WAL: cannot undo a failed write to {}; refusing further appends",
                      segment_->path);
      }
      return st;
    }
    segment_->size += buffer_.size();
    end_pos = written_pos_.fetch_add(buffer_.size()) + buffer_.size();
    records_written_.fetch_add(records.size());
  }
  if (options_.fsync_mode == FsyncMode::kAlways) return SyncTo(end_pos);
  return Status::OK();
}

Status Wal::SyncTo(uint64_t target) {
  MutexLock sync_lock(&sync_mu_);
  // Another caller's fsync may already have covered our bytes.
  if (synced_pos_.load() >= target) return Status::OK();
  std::shared_ptr<Segment> segment;
  uint64_t pos;
  {
    MutexLock lock(&mu_);
    segment = segment_;
    pos = written_pos_.load();
  }
  if (!segment) return Status::OK();
  if (::fdatasync(segment->fd) != 0) return Status::IOErrorFromErrno("fsync", segment->path);
  fsyncs_.fetch_add(1);
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
      Status st = Sync();
      if (!st.ok()) spdlog::error("WAL: periodic fsync failed: {}", st.ToString());
      lock.lock();
    }
  }
}

Result<int> Wal::CutSegment() {
  MutexLock lock(&mu_);
  if (closed_) return Status::Unavailable("WAL is closed");
  int next = segment_index_ + 1;
  RETURN_NOT_OK(CloseSegment());
  RETURN_NOT_OK(OpenSegment(next));
  return next;
}

int Wal::current_segment() const {
  MutexLock lock(&mu_);
  return segment_index_;
}

Status Wal::CreateCheckpoint(int last_segment, std::span<const std::string_view> records) {
  if (last_segment >= current_segment()) {
    return Status::InvalidArgument("checkpoint must end before the current WAL segment");
  }
  fs::path dir(options_.dir);
  std::string name = kCheckpointPrefix + SegmentName(last_segment);
  fs::path tmp = dir / (name + ".tmp");
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return Status::IOError("create " + tmp.string() + ": " + ec.message());
  std::string data;
  for (std::string_view r : records) AppendFramed(&data, r);
  std::string file = (tmp / SegmentName(0)).string();
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOErrorFromErrno("create", file);
  Status st = WriteAll(fd, data.data(), data.size(), file);
  if (st.ok() && ::fsync(fd) != 0) st = Status::IOErrorFromErrno("fsync", file);
  ::close(fd);
  RETURN_NOT_OK(st);
  RETURN_NOT_OK(SyncDir(tmp.string()));
  fs::rename(tmp, dir / name, ec);
  if (ec) return Status::IOError("rename " + tmp.string() + ": " + ec.message());
  RETURN_NOT_OK(SyncDir(options_.dir));
  // The checkpoint is in place: what it replaces can go.
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string fname = entry.path().filename().string();
    int index;
    if (ParseSegmentName(fname, &index) && index <= last_segment) {
      fs::remove(entry.path(), ec);
    } else if (fname.rfind(kCheckpointPrefix, 0) == 0 && fname != name) {
      fs::remove_all(entry.path(), ec);
    }
  }
  return SyncDir(options_.dir);
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
  MutexLock lock(&mu_);
  if (closed_ && !segment_) return Status::OK();
  closed_ = true;
  Status st = CloseSegment();
  return st;
}

}  // namespace mytsdb::wal
