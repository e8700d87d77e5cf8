// Scraping inside `mytsdb serve` (docs/SCRAPING.md): the scrape manager
// over the storage's append path (the one remote write takes: WAL first),
// started once the storage is open, given the configuration's
// scrape_configs at start and on every reload, and stopped before the
// storage closes; the target APIs read it.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "config.h"
#include "http/server.h"
#include "scrape/scrape_manager.h"
#include "storage/storage.h"

namespace mytsdb::app {

class ScrapeService {
 public:
  ScrapeService();
  ~ScrapeService();

  // Adds /api/v1/targets, /api/v1/targets/metadata and
  // /api/v1/scrape_pools (empty until Start). Call before the server runs.
  void Attach(http::Server* server);
  void Start(const Config& config, storage::Storage* storage, const std::string& version);
  // A reload: unchanged jobs keep their targets.
  void Apply(const Config& config);
  void Stop();

 private:
  class StorageAppender;
  std::unique_ptr<StorageAppender> appender_;
  std::unique_ptr<scrape::ScrapeManager> manager_;
  std::atomic<const scrape::ScrapeManager*> ptr_{nullptr};
};

}  // namespace mytsdb::app
