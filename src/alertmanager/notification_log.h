// The notification log (nflog of Alertmanager 0.25): for each aggregation
// group and integration, which alerts the last successful notification
// held, firing and resolved, and when it was sent. The pipeline reads it to
// send only what changed or what is due again (repeat_interval), so that
// neither a restart nor a reload repeats a notification. Entries expire
// twice the repeat interval after they were written (or `retention`, if
// shorter).
//
// Every entry is written to `path` before Log returns (snapshot_file.h),
// by that call or a concurrent one that wrote a later state; queries never
// wait for the disk.
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "io/clock.h"
#include "io/file_system.h"

namespace mytsdb::alertmanager {

struct NotificationEntry {
  absl::Time timestamp;
  std::vector<uint64_t> firing;    // alert hashes
  std::vector<uint64_t> resolved;
  absl::Time expires_at;

  bool IsFiringSubset(const std::vector<uint64_t>& subset) const;
  bool IsResolvedSubset(const std::vector<uint64_t>& subset) const;
};

class NotificationLog {
 public:
  struct Options {
    io::FileSystem* fs = nullptr;
    std::string path;
    io::Clock* clock = nullptr;
    absl::Duration retention = absl::Hours(120);
  };

  static Result<std::unique_ptr<NotificationLog>> Open(Options options);

  // The entry of an integration ("receiver/integration/index") in a group.
  std::optional<NotificationEntry> Query(const std::string& group_key, const std::string& receiver_key) const;
  // Records a successful notification; durable when OK (on an error it is
  // still recorded in memory: the notification did go out).
  Status Log(const std::string& group_key, const std::string& receiver_key, std::vector<uint64_t> firing,
             std::vector<uint64_t> resolved, absl::Duration expiry);
  // Drops expired entries; how many.
  Result<size_t> GarbageCollect();
  size_t size() const;

 private:
  explicit NotificationLog(Options options) : options_(std::move(options)) {}
  Status Load();
  Status Persist(const std::map<std::string, NotificationEntry>& entries) const;
  Status WriteVersion(const std::map<std::string, NotificationEntry>& snapshot, uint64_t version);

  const Options options_;
  mutable std::mutex mu_;
  std::map<std::string, NotificationEntry> entries_;  // group key + "\n" + receiver key; guarded by mu_
  uint64_t version_ = 0;                               // changes so far; guarded by mu_
  std::mutex write_mu_;                                // one file write at a time
  uint64_t written_version_ = 0;                       // on disk; guarded by write_mu_
};

}  // namespace mytsdb::alertmanager
