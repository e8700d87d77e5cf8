// The scrape pools, one per job, as Prometheus's scrape manager keeps them.
// A pool runs its job's discovery on a thread of its own (looking every
// second) and keeps one ScrapeLoop per target: a target that appears gets
// a loop, one that goes away is retired (its series go stale once it has
// not come back for two intervals), one that stays keeps its loop. Targets
// that relabeling drops are kept for the API (up to keep_dropped_targets).
// With more targets than target_limit, every target of the pool fails with
// Prometheus's error.
//
// A reload (ApplyConfig) keeps the pools whose configuration did not
// change, untouched; a changed pool restarts its loops with the new
// configuration (each at the same offset, so no scrape is lost or
// doubled); a removed job's targets are retired.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "scrape/scrape_config.h"
#include "scrape/scrape_loop.h"

namespace mytsdb::scrape {

struct ScrapeOptions {
  std::string user_agent = "MyTSDB";
  // Spreads this instance's scrapes differently from another's (Prometheus
  // derives it from the host name and the external labels).
  uint64_t offset_seed = 0;
  // How often discovery looks for changes (files, retired loops).
  int64_t discovery_tick_ms = 1000;
};

struct DroppedTarget {
  std::string scrape_pool;
  LabelMap discovered_labels;
};

struct TargetMetadata {
  model::Labels target;  // the target's public labels
  FamilyMetadata family;
};

class ScrapePool;

class ScrapeManager {
 public:
  ScrapeManager(Appender* appender, ScrapeOptions options);
  ~ScrapeManager();  // Shutdown()

  void ApplyConfig(const std::vector<ScrapeConfig>& configs);
  // Stops every loop without staleness markers (the server is stopping).
  void Shutdown();

  std::vector<std::string> PoolNames() const;
  std::vector<TargetStatus> ActiveTargets() const;
  std::vector<DroppedTarget> DroppedTargets() const;
  std::map<std::string, size_t> DroppedTargetCounts() const;  // all dropped, kept or not
  std::vector<TargetMetadata> Metadata() const;

 private:
  template <typename T>
  std::vector<T> Gather(std::vector<T> (ScrapePool::*get)() const) const;

  Appender* const appender_;
  const ScrapeOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<ScrapePool>> pools_;  // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<ScrapePool>> retiring_;          // GUARDED_BY(mu_)
};

}  // namespace mytsdb::scrape
