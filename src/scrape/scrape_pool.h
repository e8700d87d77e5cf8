// One job's targets and their loops (scrape_manager.h says what a pool
// does); private to the scrape part.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "scrape/discovery.h"
#include "scrape/scrape_loop.h"
#include "scrape/scrape_manager.h"

namespace mytsdb::scrape {

class ScrapePool {
 public:
  ScrapePool(std::shared_ptr<const ScrapeConfig> config, Appender* appender, const ScrapeOptions& options);
  ~ScrapePool();  // Shutdown()

  // Syncs the targets once, then runs discovery on the pool's thread.
  void Start();
  // A changed configuration: discovery anew, every loop restarted with it.
  void Reload(std::shared_ptr<const ScrapeConfig> config);
  // The job went away: every loop retires; done() once they all ended.
  void Retire();
  void Shutdown();
  bool done() const;

  const ScrapeConfig& config() const;
  std::vector<TargetStatus> Active() const;
  std::vector<DroppedTarget> Dropped() const;
  size_t dropped_count() const;
  std::vector<TargetMetadata> Metadata() const;

 private:
  void Run();
  void Sync();  // REQUIRES(mu_)
  void ReapRetired();

  Appender* const appender_;
  const ScrapeOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<const ScrapeConfig> config_;          // GUARDED_BY(mu_)
  std::shared_ptr<Discovery> discovery_;                // GUARDED_BY(mu_)
  std::map<uint64_t, std::unique_ptr<ScrapeLoop>> loops_;  // GUARDED_BY(mu_), by target hash
  std::vector<std::unique_ptr<ScrapeLoop>> retiring_;   // GUARDED_BY(mu_)
  std::vector<DroppedTarget> dropped_;                  // GUARDED_BY(mu_)
  size_t dropped_count_ = 0;                            // GUARDED_BY(mu_)
  bool stop_ = false;                                   // GUARDED_BY(mu_)
  bool retired_ = false;                                // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace mytsdb::scrape
