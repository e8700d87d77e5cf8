// DeltaTable::Commit and Delta's optimistic concurrency: a writer that loses
// the race for a version reads the winners' commits, checks them against
// its own, and tries the next version (PROTOCOL.md, "Optimistic Concurrency
// Control"; the conflict rules follow delta-rs's and Spark's checkers for
// the operations MyTSDB performs: blind appends, compaction, retention and
// deletion, and watermark transactions).
#include <spdlog/spdlog.h>

#include <chrono>
#include <random>
#include <thread>

#include "cold/delta_log.h"

namespace mytsdb::cold {

using io::JoinPath;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Backoff before the attempt after `attempt` lost, jittered so that writers
// that lost together do not collide again.
std::chrono::milliseconds Backoff(int attempt) {
  static thread_local std::mt19937 rng(std::random_device{}());
  const int ceiling = std::min(1000, 10 << std::min(attempt, 7));
  return std::chrono::milliseconds(std::uniform_int_distribution<int>(ceiling / 2, ceiling)(rng));
}

}  // namespace

Status DeltaTable::CatchUp(CommitEffects* effects) {
  const std::string log = log_dir();
  for (;;) {
    const int64_t next = version_ + 1;
    const std::string path = JoinPath(log, CommitFileName(next));
    Result<std::string> content = fs_->ReadFile(path);
    if (content.status().code() == StatusCode::kNotFound) return Status::OK();
    if (!content.ok()) return content.status().WithContext("Delta log: cannot read a commit");
    RETURN_NOT_OK(ApplyCommit(next, *content, path, effects));
  }
}

Status DeltaTable::CheckConflicts(const CommitRequest& request,
                                  const CommitEffects& winners) const {
  const std::string upto = " (up to version " + std::to_string(winners.last_version) + ")";
  if (winners.protocol_changed) {
    return Status::AlreadyExists("conflict: a concurrent commit changed the table's protocol" + upto);
  }
  for (const std::string& path : request.removes) {
    if (winners.removed.count(path) > 0 || files_.count(path) == 0) {
      return Status::AlreadyExists("conflict: " + path + " was removed by a concurrent commit" + upto);
    }
  }
  for (const AddFile& add : request.adds) {
    // A re-add (new statistics) of a file a winner removed would revive it.
    if (winners.removed.count(add.path) > 0) {
      return Status::AlreadyExists("conflict: " + add.path + " was removed by a concurrent commit" +
                                   upto);
    }
  }
  if (request.rewrites.has_value()) {
    for (const model::TimeRange& added : winners.added) {
      if (request.rewrites->Overlaps(added.min, added.max)) {
        return Status::AlreadyExists("conflict: a concurrent commit added rows to the window being "
                                     "compacted" + upto);
      }
    }
  }
  if (request.compactor_lease_until.has_value()) {
    for (const std::string& app_id : winners.app_ids) {
      if (app_id.starts_with(kCompactorLeasePrefix) && app_id != CompactorLeaseAppId(writer_)) {
        return Status::AlreadyExists("conflict: writer \"" +
                                     app_id.substr(kCompactorLeasePrefix.size()) +
                                     "\" claimed the compactor's lease concurrently" + upto);
      }
    }
  }
  if (request.watermark.has_value() && winners.app_ids.count(WatermarkAppId(writer_)) > 0) {
    return Status::AlreadyExists(
        "conflict: another process committed the watermark of writer \"" + writer_ + "\"" + upto +
        ": two servers share one writer name");
  }
  return Status::OK();
}

Status DeltaTable::Commit(const CommitRequest& request, bool* committed) {
  if (committed != nullptr) *committed = false;
  if (!failure_.ok()) {
    return Status::Unavailable("the Delta log takes no more commits until MyTSDB restarts: " +
                               failure_.ToString());
  }
  for (int attempt = 1;; ++attempt) {
    Status st = CommitOnce(request, committed);
    if (st.code() != StatusCode::kAlreadyExists || (committed != nullptr && *committed)) return st;
    // Another writer took the version: catch up with what it (and any
    // other) committed, and see whether ours still applies on top.
    CommitEffects winners;
    Status caught_up = CatchUp(&winners);
    if (!caught_up.ok()) return caught_up.WithContext("after losing a commit race");
    RETURN_NOT_OK(CheckConflicts(request, winners));
    if (attempt >= kMaxCommitAttempts) {
      return Status::AlreadyExists("Delta commit lost the race for a version " +
                                   std::to_string(attempt) + " times; giving up for now");
    }
    spdlog::debug("cold: version {} was taken by another writer; retrying at {}",
                  winners.last_version, version_ + 1);
    std::this_thread::sleep_for(Backoff(attempt));
  }
}

Status DeltaTable::CommitOnce(const CommitRequest& request, bool* committed) {
  const int64_t version = version_ + 1;
  const std::string out = RenderCommit(request, version, NowMs());
  const std::string log = log_dir();
  if (!log_dir_durable_) {
    // Also when it exists: an earlier attempt may have created it and
    // failed to make its entry durable.
    RETURN_NOT_OK(fs_->CreateDirs(log));
    RETURN_NOT_OK(fs_->SyncDir(dir_));
    log_dir_durable_ = true;
  }
  const std::string path = JoinPath(log, CommitFileName(version));
  bool created = false;
  Status st = fs_->CreateFileIfAbsent(path, out, &created);
  if (!st.ok() && !created) {
    if (st.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("Delta log version " + std::to_string(version) +
                                   " exists: another writer committed it");
    }
    return st.WithContext("Delta commit");
  }
  // The version exists: apply it, whether or not it is known to be durable.
  RETURN_NOT_OK(ApplyCommit(version, out, path));
  if (committed != nullptr) *committed = true;
  if (!st.ok()) {
    failure_ = st.WithContext("Delta commit " + CommitFileName(version) +
                              " was written but may not be durable");
    spdlog::error("cold: {}; no further commits until a restart", failure_.ToString());
    return failure_;
  }
  if (version % kCheckpointInterval == 0 && version > 0) {
    // The commit stands either way; a missing checkpoint only costs readers
    // time.
    Status cp = WriteCheckpoint();
    if (!cp.ok()) spdlog::warn("Delta checkpoint at version {} failed: {}", version, cp.ToString());
  }
  return Status::OK();
}

}  // namespace mytsdb::cold
