// Wal: the write-ahead log of the head, a directory of numbered segment files.
//
//   data/wal/
//     00000012            segment files, written in order, never modified
//     00000013            once a newer one exists
//     checkpoint.00000011/00000000   records still needed from segments <= 11
//
// Each segment is a sequence of records (docs/format/wal.md):
//
//   +-------------+-------------+-------------------+
//   | crc32c: u32 | length: u32 | payload: length B |   (integers little-endian)
//   +-------------+-------------+-------------------+
//   crc32c covers the 4 length bytes and the payload.
//
// A record is never split across segments. At Open the log is replayed; the
// first record that does not check out (torn write, bit flip, zero fill) ends
// the log: it is logged, the segment is truncated there and later segments
// are removed, so nothing after a damaged spot is ever applied out of order.
//
// Thread-safe. Appends are serialised; fsyncs happen outside the append lock
// so that concurrent appenders share one fsync (group commit).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "common/mutex.h"
#include "common/result.h"

namespace mytsdb::wal {

enum class FsyncMode {
  kAlways,    // fsync before Append returns (shared among concurrent callers)
  kInterval,  // a background thread fsyncs every fsync_interval
  kNever,     // the OS writes back when it likes
};

struct Options {
  std::string dir;
  size_t segment_size = 128 << 20;
  FsyncMode fsync_mode = FsyncMode::kInterval;
  std::chrono::milliseconds fsync_interval{1000};
};

struct Stats {
  uint64_t bytes_written = 0;  // framed bytes appended since Open
  uint64_t records_written = 0;
  uint64_t fsyncs = 0;
  uint64_t segments_created = 0;
  uint64_t corruptions_repaired = 0;  // damaged tails cut during Open
  uint64_t records_replayed = 0;
};

class Wal {
 public:
  using ReplayFn = std::function<Status(std::string_view payload)>;

  // Opens or creates options.dir, replays the latest checkpoint and then every
  // valid record of the later segments through `replay`, cuts a damaged tail,
  // and starts a new segment for appends. An error from `replay` aborts Open.
  static Result<std::unique_ptr<Wal>> Open(const Options& options, const ReplayFn& replay);
  ~Wal();

  // Appends the records in order. When it returns OK the bytes have been
  // handed to the kernel with write(2), so a crash of this process cannot lose
  // them; with kAlways they are also on stable storage.
  Status Append(std::span<const std::string_view> records) EXCLUDES(mu_, sync_mu_);
  // fsyncs everything appended so far.
  Status Sync() EXCLUDES(mu_, sync_mu_);
  // Closes the current segment and starts the next; returns its number.
  Result<int> CutSegment() EXCLUDES(mu_);
  int current_segment() const EXCLUDES(mu_);

  // Writes `records` as checkpoint.<last_segment> (atomically: temporary
  // directory, fsync, rename), then deletes segments <= last_segment and older
  // checkpoints. Replay then reads the checkpoint and the later segments.
  // last_segment must be below current_segment().
  Status CreateCheckpoint(int last_segment, std::span<const std::string_view> records)
      EXCLUDES(mu_);

  Stats stats() const;
  // fsyncs and closes; further appends fail. Called by the destructor.
  Status Close() EXCLUDES(mu_, sync_mu_);

 private:
  struct Segment;
  explicit Wal(const Options& options);
  Status Replay(const ReplayFn& replay);
  Status OpenSegment(int index) REQUIRES(mu_);
  Status CloseSegment() REQUIRES(mu_);
  Status SyncTo(uint64_t target) EXCLUDES(mu_, sync_mu_);
  void SyncLoop();

  const Options options_;

  Mutex sync_mu_ ACQUIRED_BEFORE(mu_);  // one fsync at a time; waiters re-check what it covered
  mutable Mutex mu_;
  std::shared_ptr<Segment> segment_ GUARDED_BY(mu_);
  int segment_index_ GUARDED_BY(mu_) = -1;
  bool closed_ GUARDED_BY(mu_) = false;
  std::string buffer_ GUARDED_BY(mu_);

  std::atomic<uint64_t> written_pos_{0};  // logical bytes written since Open
  std::atomic<uint64_t> synced_pos_{0};   // logical bytes known durable

  std::atomic<uint64_t> records_written_{0};
  std::atomic<uint64_t> fsyncs_{0};
  std::atomic<uint64_t> segments_created_{0};
  std::atomic<uint64_t> corruptions_repaired_{0};
  std::atomic<uint64_t> records_replayed_{0};

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread sync_thread_;
};

// Names of WAL files, e.g. SegmentName(12) == "00000012".
std::string SegmentName(int index);

}  // namespace mytsdb::wal
