// AlertHistory: every alert state change (and, with the built-in
// Alertmanager, every notification attempt) as rows of a Delta table under
// the data directory (data/alerts/), queryable as the `alerts` SQL table
// and by any Delta reader (docs/FORMAT.md, "The alert history").
//
//   Record ──► queue (memory) ──► every flush interval: one Parquet file a
//              day, written, synced and renamed, then one Delta commit
//   background: retention (as the samples'), and a day's files merged into
//               one once the day is over
//
// A file is committed only after it is whole on disk; a crash between the
// two leaves a whole `part-` file that no commit names, which Open commits
// (its events would otherwise be lost); a merged file no commit names is a
// merge that did not finish, and Open deletes it (its rows are still in the
// files it was to replace). Events still in the queue at a crash are lost:
// at most one flush interval of them (the ALERTS series in the WAL keep the
// states themselves).
//
// Thread-safe. One writer per data directory (the directory's lock file).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cold/delta_log.h"
#include "common/result.h"
#include "io/clock.h"
#include "io/file_system.h"
#include "model/labels.h"

namespace arrow {
class Table;
}  // namespace arrow

namespace mytsdb::history {

// One row of the table.
struct AlertEvent {
  int64_t time_ms = 0;
  // "state": an alert changed state (state: pending, firing, resolved, or
  // inactive for a pending alert that went away). "notification": a
  // delivery attempt (state: sent or failed; receiver and integration).
  std::string kind = "state";
  std::string rule;        // the alerting rule (alertname)
  std::string group_name;  // its group and file
  std::string rule_file;
  std::string state;
  std::string previous_state;
  model::Labels labels;
  std::vector<model::Label> annotations;
  double value = 0;
  int64_t active_at_ms = 0;  // 0: none
  int64_t fired_at_ms = 0;
  std::string receiver;  // notifications only
  std::string integration;
  std::string error;
};

struct AlertHistoryOptions {
  std::string dir;  // the table directory, data/alerts
  io::FileSystem* fs = io::PosixFileSystem();
  io::Clock* clock = io::SystemClock();
  // How often queued events are written (0: only by Flush(); tests).
  std::chrono::milliseconds flush_interval{std::chrono::seconds(10)};
  // Rows older than now minus this are removed, as samples are.
  int64_t retention_ms = 15LL * 24 * 3600 * 1000;
  // Most events held waiting; beyond, the oldest are dropped (counted).
  size_t max_queued = 100'000;
  // Removed files are deleted this long after they left the table, so that
  // running reads of older snapshots finish.
  std::chrono::milliseconds delete_grace{std::chrono::minutes(5)};
};

struct AlertHistoryStats {
  uint64_t events_written = 0;
  uint64_t events_dropped = 0;  // queue full
  uint64_t flush_failures = 0;
  uint64_t queued = 0;
  int64_t version = -1;
  uint64_t files = 0;
};

class AlertHistory {
 public:
  // Opens (or creates) the table; refuses, naming the file, a table it
  // does not understand. Starts the background thread if flush_interval > 0.
  static Result<std::unique_ptr<AlertHistory>> Open(const AlertHistoryOptions& options);
  ~AlertHistory();

  // Queues events to be written; never blocks on I/O.
  void Record(std::vector<AlertEvent> events);
  // Writes what is queued now (one commit). On failure the events stay
  // queued for the next try.
  Status Flush();
  // Removes the files whose rows are all older than now minus the
  // retention, merges each finished day's files into one, and deletes
  // removed files past their grace period.
  Status Maintain();
  // Copies the table as of now into `target` (a new directory; files
  // hard-linked), for the data directory's snapshots (what is still queued
  // is written first). Returns the version copied.
  Result<int64_t> SnapshotTo(const std::string& target);
  // Paths (relative to the table directory) of the current snapshot's files.
  std::vector<std::string> Files() const;
  const std::string& dir() const { return options_.dir; }
  AlertHistoryStats stats() const;
  // Stops the thread and flushes.
  Status Close();

  // The table's Delta schema (a fixed layout).
  static const cold::FixedLayout& Layout();

 private:
  explicit AlertHistory(const AlertHistoryOptions& options) : options_(options) {}
  // Commits whole `part-` files no commit names; deletes the rest.
  Status AdoptLeftovers();
  // Writes `table` (rows of one day) as a file named `prefix`-...; the add.
  Result<cold::AddFile> WriteFile(const arrow::Table& table, const std::string& prefix);
  // Commits `request`; if no commit happened, deletes the files `written`
  // for it.
  Status Commit(const cold::CommitRequest& request, const std::vector<cold::AddFile>& written);
  void DeleteUncommitted(const std::vector<cold::AddFile>& written);
  void Loop();

  const AlertHistoryOptions options_;
  mutable std::mutex table_mu_;  // the table, and one writer at a time
  std::unique_ptr<cold::DeltaTable> table_;
  std::vector<std::pair<std::string, int64_t>> pending_deletes_;  // path, removed at (ms)
  mutable std::mutex queue_mu_;
  std::deque<AlertEvent> queue_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<uint64_t> written_{0}, dropped_{0}, flush_failures_{0};
};

}  // namespace mytsdb::history
