// Wal: the write-ahead log of the head, a directory of numbered segment files.
//
//   data/wal/
//     00000012                     segment files, 8 decimal digits, consecutive;
//     00000013                     only the newest one is ever written to
//     checkpoint.00000011/00000000 records still needed from segments <= 11
//
// A segment is a sequence of records (byte-level format: docs/format/wal.md):
//
//   +-------------+-------------+-------------------+
//   | crc32c: u32 | length: u32 | payload: length B |   (integers little-endian)
//   +-------------+-------------+-------------------+
//   crc32c = CRC-32C of the 4 length bytes followed by the payload.
//
// A record never spans two segments. Open() replays the latest checkpoint and
// the segments after it; the first record that does not check out (torn
// write, bit flip, zero fill) ends the log: it is logged, its segment is
// truncated there and the cut bytes and the later segments are set aside in
// corrupt.<time>/ (never deleted), so a record is never applied without all
// the records before it. Writing then starts in a new segment.
//
// Durability: Append() returns once the bytes are written with write(2) (a
// process crash cannot lose them); FsyncMode decides when they reach stable
// storage (an OS crash or power loss cannot lose them either). Once any fsync
// fails the WAL refuses further appends (the kernel may have dropped the dirty
// pages, and a retried fsync could falsely succeed).
//
// Thread safety: all methods are thread-safe. Appends are serialised by mu_
// and each takes one write(2); fsyncs run outside mu_ under sync_mu_, so that
// appenders keep writing while one fsync runs and the waiters whose bytes that
// fsync covered return without their own (group commit).
//
// Ownership: a Wal owns its open files and, with kInterval, one background
// thread; the directory must not be shared with another Wal. All file access
// goes through Options::fs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "common/result.h"
#include "io/file_system.h"

namespace mytsdb::wal {

enum class FsyncMode {
  kAlways,    // fsync before Append returns; concurrent callers share one fsync
  kInterval,  // a background thread fsyncs every fsync_interval if anything was written
  kNever,     // only on Sync() and Close() (and for a segment two switches old)
};

// Hooks for tests; leave unset in production. (Faults are injected through
// Options::fs, see io/fault_injection_fs.h.)
struct TestHooks {
  // Called by the thread about to run a group-commit fsync, before it looks
  // at how many bytes that fsync will cover (sync_mu_ held, mu_ not held).
  std::function<void()> before_sync;
};

struct Options {
  std::string dir;                   // created if missing
  size_t segment_size = 128 << 20;   // a segment is finished before it would grow past this
  FsyncMode fsync_mode = FsyncMode::kInterval;
  std::chrono::milliseconds fsync_interval{1000};  // kInterval only; must be > 0
  io::FileSystem* fs = io::PosixFileSystem();       // must outlive the Wal
  TestHooks test_hooks;
};

struct Stats {
  uint64_t bytes_written = 0;  // framed bytes appended since Open
  uint64_t records_written = 0;
  uint64_t fsyncs = 0;  // of segment files (not directories)
  uint64_t segments_created = 0;
  uint64_t corruptions_repaired = 0;  // damaged tails cut / segments set aside during Open
  uint64_t records_replayed = 0;
};

class Wal {
 public:
  // Receives each replayed record's payload; the view is valid only during
  // the call. A non-OK status aborts Open with that status.
  using ReplayFn = std::function<Status(std::string_view payload)>;
  // Told after the records of each segment (not the checkpoint) were
  // replayed, so that a caller can note what that segment holds.
  using SegmentReplayedFn = std::function<void(int segment)>;

  // Opens or creates options.dir. Calls `replay` for every record of the
  // latest checkpoint (if any) and then every valid record of the segments
  // after it, in order; repairs a torn or corrupt tail (docs/format/wal.md);
  // then starts a NEW segment for appends (a replayed segment is never
  // appended to). Errors: InvalidArgument for bad options, IOError, Corruption
  // for a damaged checkpoint, or whatever `replay` returned.
  static Result<std::unique_ptr<Wal>> Open(const Options& options, const ReplayFn& replay,
                                           const SegmentReplayedFn& segment_replayed = {});
  // Calls Close().
  ~Wal();

  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends the records, in order, with one write(2) (atomic with respect to
  // other Append calls). When it returns OK the bytes are in the kernel, so a
  // crash of this process cannot lose them; with kAlways they have also been
  // fsynced. Records must be 1 byte .. 1 GiB (InvalidArgument otherwise). After
  // a failed write the partial bytes are truncated away and the WAL stays
  // usable; after a failed fsync every later call fails.
  Status Append(std::span<const std::string_view> records) EXCLUDES(mu_, sync_mu_);
  // fsyncs everything appended so far.
  Status Sync() EXCLUDES(mu_, sync_mu_);
  // Finishes (fsyncs and closes) the current segment and starts the next one;
  // returns the new segment's number.
  Result<int> CutSegment() EXCLUDES(mu_);
  // The segment appends currently go to.
  int current_segment() const EXCLUDES(mu_);

  // Writes `records` as checkpoint.<last_segment>: into a temporary directory,
  // fsynced, renamed into place atomically, the WAL directory fsynced; then
  // deletes segments <= last_segment and older checkpoints. Replay afterwards
  // reads this checkpoint and the segments after last_segment.
  // last_segment must be below current_segment() and above any earlier
  // checkpoint's (InvalidArgument otherwise). Concurrent calls are serialised.
  Status CreateCheckpoint(int last_segment, std::span<const std::string_view> records)
      EXCLUDES(checkpoint_mu_, mu_);
  // The same with the records produced one at a time, so that a checkpoint
  // of a large head is never held in memory whole: `next` replaces *record
  // with the next record and returns true, or returns false after the last.
  using RecordSource = std::function<bool(std::string* record)>;
  Status CreateCheckpoint(int last_segment, const RecordSource& next)
      EXCLUDES(checkpoint_mu_, mu_);

  // Copies the log as of now into the new directory `target` (the newest
  // checkpoint and the segments after it; the current segment is finished
  // first, so the copy holds every record appended before the call). For
  // snapshots; appends go on meanwhile. Concurrent with CreateCheckpoint
  // only through checkpoint_mu_.
  Status CopyTo(const std::string& target) EXCLUDES(checkpoint_mu_, mu_);

  // The last segment the newest checkpoint covers; -1 if there is none.
  int last_checkpoint() const EXCLUDES(checkpoint_mu_);

  Stats stats() const;
  // The fsync failure that made the WAL refuse appends (OK if none).
  Status failure() const EXCLUDES(mu_);

  // Stops the background thread, fsyncs and closes the segment; later appends
  // fail with Unavailable. Returns the first fsync error the WAL ever had, if
  // any. Idempotent.
  Status Close() EXCLUDES(mu_, sync_mu_);

 private:
  struct Segment;
  explicit Wal(const Options& options);

  Status Replay(const ReplayFn& replay, const SegmentReplayedFn& segment_replayed)
      EXCLUDES(mu_, checkpoint_mu_);
  // Moves what a repair takes out of the log into corrupt.<time>/: the bytes
  // of `segment` from `cut_at` on (if any) and the whole `later` segments.
  Status SetAside(const std::string& segment, uint64_t cut_at, std::string_view cut_bytes,
                  const std::vector<std::string>& later, std::string* where);
  Status OpenSegment(int index) REQUIRES(mu_);
  // Moves the current segment to pending_ and opens the next one.
  Status RotateSegment() REQUIRES(mu_);
  // fsyncs what is pending and the current segment unless synced_pos_ has
  // reached `target` already.
  Status SyncTo(uint64_t target) EXCLUDES(mu_, sync_mu_);
  // fsyncs `segment` if fewer than `size` of its bytes are known durable.
  Status SyncSegment(Segment* segment, uint64_t size);
  // Makes the WAL refuse all further appends with `st`.
  void Fail(const Status& st) REQUIRES(mu_);
  void SyncLoop();

  const Options options_;

  // Lock order: checkpoint_mu_, then sync_mu_, then mu_.
  mutable Mutex checkpoint_mu_ ACQUIRED_BEFORE(sync_mu_);
  int last_checkpoint_ GUARDED_BY(checkpoint_mu_) = -1;

  Mutex sync_mu_ ACQUIRED_BEFORE(mu_);  // one segment fsync at a time (group commit)
  mutable Mutex mu_;
  std::shared_ptr<Segment> segment_ GUARDED_BY(mu_);  // null after Close or a failed rotation
  // Finished segments not yet fsynced, oldest first. They are fsynced by the
  // next SyncTo (outside mu_, so that a segment switch does not stall
  // appenders), or under mu_ once more than kMaxPendingSegments pile up.
  std::vector<std::shared_ptr<Segment>> pending_ GUARDED_BY(mu_);
  int segment_index_ GUARDED_BY(mu_) = -1;
  bool closed_ GUARDED_BY(mu_) = false;
  Status error_ GUARDED_BY(mu_);  // first fsync failure; sticky
  std::string buffer_ GUARDED_BY(mu_);

  // Logical positions: bytes appended since Open, across segments.
  // written_pos_ changes under mu_. synced_pos_ <= written_pos_ advances after
  // the pending segments and the current one have been fsynced.
  std::atomic<uint64_t> written_pos_{0};
  std::atomic<uint64_t> synced_pos_{0};

  std::atomic<uint64_t> records_written_{0};
  std::atomic<uint64_t> fsyncs_{0};
  std::atomic<uint64_t> segments_created_{0};
  std::atomic<uint64_t> corruptions_repaired_{0};
  std::atomic<uint64_t> records_replayed_{0};

  // Background fsync thread (kInterval). std::mutex for the condition variable.
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mu_
  std::thread sync_thread_;
};

// File names inside the WAL directory: SegmentName(12) == "00000012",
// CheckpointName(11) == "checkpoint.00000011".
std::string SegmentName(int index);
std::string CheckpointName(int last_segment);

}  // namespace mytsdb::wal
