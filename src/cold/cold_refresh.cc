// ColdStore on a table other writers share: taking in their commits.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "cold/cold_store.h"
#include "cold/compaction_policy.h"
#include "cold/delta_protocol.h"
#include "cold/file_entry.h"
#include "cold/series_catalog.h"

namespace mytsdb::cold {

Status ColdStore::Refresh() {
  RETURN_NOT_OK(table_->Refresh());
  CatchUpSnapshot();
  return Status::OK();
}

void ColdStore::CatchUpSnapshot() {
  auto snap = snapshot();
  if (table_->version() == snap->version) return;
  auto next = std::make_shared<Snapshot>(*snap);
  next->version = table_->version();
  SetWatermarks(next.get());
  if (AdoptTableFiles(next.get())) ForgetSeriesNotIn(*next);
  spdlog::info("cold: took in versions {} to {} of other writers: {} file(s) in the table",
               snap->version + 1, next->version, next->files.size());
  Publish(std::move(next));
}

void ColdStore::SetWatermarks(Snapshot* snapshot) const {
  snapshot->watermark = table_->watermark();
  snapshot->compaction_watermark =
      options_.writer.empty() && !options_.read_only ? snapshot->watermark
                                                     : ClusterWatermark(table_->transactions());
}

Result<bool> ColdStore::HoldCompactorLease(int64_t now_ms, int64_t lease_ms) {
  if (options_.writer.empty()) return Status::InvalidArgument("the compactor's lease needs a writer name");
  const std::string mine = CompactorLeaseAppId(options_.writer);
  int64_t own_until = INT64_MIN;
  for (const auto& [app_id, until] : table_->transactions()) {
    if (!app_id.starts_with(kCompactorLeasePrefix)) continue;
    if (app_id == mine) {
      own_until = until;
    } else if (until > now_ms) {
      if (lease_holder_ != app_id) {
        spdlog::info("cold: writer \"{}\" holds the compactor's lease until {}; this one stands by",
                     app_id.substr(kCompactorLeasePrefix.size()), until);
        lease_holder_ = app_id;
      }
      return false;
    }
  }
  // Renewed once half of it is gone, so that a holder that keeps running
  // never lets it lapse between two rounds.
  int64_t until = own_until;
  if (own_until <= now_ms + lease_ms / 2) {
    until = now_ms + lease_ms;
    CommitRequest claim;
    claim.operation = "COMPACTOR LEASE";
    claim.operation_parameters = {{"writer", options_.writer}, {"until", std::to_string(until)}};
    claim.compactor_lease_until = until;
    Status st = CommitAndPublish(std::move(claim));
    if (st.code() == StatusCode::kAlreadyExists) return false;  // another claimed it first
    RETURN_NOT_OK(st);
  }
  if (lease_holder_ != mine) {
    spdlog::info("cold: this writer holds the compactor's lease until {}", until);
    lease_holder_ = mine;
  }
  return true;
}

bool ColdStore::AdoptTableFiles(Snapshot* next) {
  const std::map<std::string, AddFile>& table_files = table_->files();
  const size_t before = next->files.size();
  std::erase_if(next->files, [&](const auto& f) { return table_files.count(f->add.path) == 0; });
  const bool dropped = next->files.size() != before;
  std::set<std::string> have;
  for (const auto& f : next->files) have.insert(f->add.path);
  std::vector<AddFile> missing;
  for (const auto& [path, add] : table_files) {
    if (have.count(path) == 0) missing.push_back(add);
  }
  if (!missing.empty()) {
    Result<std::vector<std::shared_ptr<const FileEntry>>> loaded = LoadFiles(missing);
    if (loaded.ok()) {
      for (auto& entry : *loaded) next->files.push_back(std::move(entry));
    } else {
      // Their samples are not in this snapshot yet; never in it wrongly.
      spdlog::warn("cold: {} file(s) other writers added are not readable yet ({}); retrying at "
                   "the next refresh",
                   missing.size(), loaded.status().ToString());
      next->version = std::min(next->version, table_->version() - 1);
    }
  }
  std::stable_sort(next->files.begin(), next->files.end(), [](const auto& a, const auto& b) {
    return a->add.version < b->add.version;
  });
  return dropped;
}

void ColdStore::ForgetSeriesNotIn(const Snapshot& snapshot) {
  std::vector<bool> live(catalog_->ids(), false);
  for (const auto& f : snapshot.files) {
    for (const auto& span : f->spans) live[span.id] = true;
  }
  catalog_->RebuildPostings(live);
}

}  // namespace mytsdb::cold
