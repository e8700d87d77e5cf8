// One target's scrapes, on a thread of its own (as Prometheus gives each
// target a goroutine, so that a slow target delays no other): at its
// offset in every interval it fetches, parses, builds the append
// (scrape_append.h) and hands it to the Appender in one call, all or
// nothing. When the target goes away, it waits as Prometheus does (the
// next two scrape times and a tenth of an interval, in case the target
// comes back) and then marks its series stale; at shutdown it just stops.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "common/result.h"
#include "head/head.h"
#include "scrape/fetch.h"
#include "scrape/scrape_append.h"
#include "scrape/scrape_config.h"
#include "scrape/target.h"
#include "storage/storage.h"

namespace mytsdb::scrape {

// Where scrapes go: the storage's append path (the one remote write takes,
// WAL first), or a test's recorder.
class Appender {
 public:
  virtual ~Appender() = default;
  virtual Status Append(std::span<const head::SeriesSamples> batch, std::span<const head::MetricMetadata> metadata,
                        storage::StorageAppendResult* result) = 0;
};

enum class Health { kUnknown, kUp, kDown };
const char* HealthName(Health health);  // "unknown", "up", "down"

// A target as /api/v1/targets shows it.
struct TargetStatus {
  std::string scrape_pool;
  std::string scrape_url;
  LabelMap discovered_labels;
  model::Labels labels;
  Health health = Health::kUnknown;
  std::string last_error;
  int64_t last_scrape_ms = 0;  // 0: not scraped yet
  double last_scrape_duration_seconds = 0;
  int64_t scrape_interval_ms = 0;
  int64_t scrape_timeout_ms = 0;
};

class ScrapeLoop {
 public:
  struct Options {
    std::shared_ptr<const ScrapeConfig> config;
    LabelMap target_labels;      // after relabeling, with the `__` ones
    LabelMap discovered_labels;  // before relabeling
    Appender* appender = nullptr;
    std::string user_agent;
    uint64_t offset_seed = 0;
  };
  explicit ScrapeLoop(Options options);
  ~ScrapeLoop();  // stops without staleness markers, as at shutdown

  void Start();
  // The target went away: the thread writes the end-of-run staleness
  // markers when their time comes, then ends (done() turns true). A later
  // Shutdown() ends it at once without them.
  void Retire();
  // Ends the thread now, without staleness markers.
  void Shutdown();
  bool done() const { return done_; }

  // One scrape at `t` (ms), on the caller's thread: what the loop does at
  // each of its times. For tests.
  void ScrapeAt(int64_t t);

  // Every scrape fails with `error` without fetching until it is cleared
  // (an OK status): the pool's target_limit was exceeded.
  void SetForcedError(Status error);

  TargetStatus status() const;
  // The TYPE, HELP and UNIT of the last successful scrape.
  std::vector<FamilyMetadata> metadata() const;
  const std::string& url() const { return url_; }
  // The target's identity within its pool: its labels and URL.
  uint64_t hash() const { return hash_; }
  static uint64_t HashOf(const ScrapeConfig& config, const LabelMap& target_labels);

 private:
  void Run();
  // Waits until `deadline_ms` (wall clock) or shutdown/retirement; false
  // when it should stop waiting for that reason.
  bool SleepUntil(int64_t deadline_ms, bool wake_on_retire);
  void EndOfRun(int64_t stale_time);
  Status FetchAndParse(Exposition* out);

  const Options options_;
  // The target's own, from __scrape_interval__ and __scrape_timeout__
  // (relabeling may set them per target, as in Prometheus).
  const int64_t interval_ms_;
  const int64_t timeout_ms_;
  const std::string url_;
  const uint64_t hash_;
  Fetcher fetcher_;
  TargetAppender appender_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool shutdown_ = false;  // GUARDED_BY(mu_)
  bool retired_ = false;   // GUARDED_BY(mu_)
  TargetStatus status_;    // GUARDED_BY(mu_)
  Status forced_error_;    // GUARDED_BY(mu_)
  std::vector<FamilyMetadata> metadata_;  // GUARDED_BY(mu_)
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace mytsdb::scrape
