#include "scrape_service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "http/targets_api.h"

namespace mytsdb::app {

class ScrapeService::StorageAppender : public scrape::Appender {
 public:
  explicit StorageAppender(storage::Storage* storage) : storage_(storage) {}
  Status Append(std::span<const head::SeriesSamples> batch, std::span<const head::MetricMetadata> metadata,
                storage::StorageAppendResult* result) override {
    return storage_->Append(batch, metadata, result);
  }

 private:
  storage::Storage* const storage_;
};

namespace {

// Prometheus seeds the offsets with the host name and the external labels,
// so that two servers scraping the same targets do not scrape together.
uint64_t OffsetSeed(const Config& config) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::string seed = host;
  for (const auto& [name, value] : config.external_labels) seed += "\xff" + name + "\xff" + value;
  return std::hash<std::string>()(seed);
}

}  // namespace

ScrapeService::ScrapeService() = default;
ScrapeService::~ScrapeService() { Stop(); }

void ScrapeService::Attach(http::Server* server) {
  http::AddTargetsApi(server, [this] { return ptr_.load(); });
}

void ScrapeService::Start(const Config& config, storage::Storage* storage, const std::string& version) {
  appender_ = std::make_unique<StorageAppender>(storage);
  manager_ = std::make_unique<scrape::ScrapeManager>(
      appender_.get(), scrape::ScrapeOptions{.user_agent = "MyTSDB/" + version, .offset_seed = OffsetSeed(config)});
  Apply(config);
  ptr_ = manager_.get();
}

void ScrapeService::Apply(const Config& config) {
  if (manager_ == nullptr) return;
  manager_->ApplyConfig(config.scrape_configs);
  if (!config.scrape_configs.empty()) {
    spdlog::info("scraping {} job(s)", config.scrape_configs.size());
  }
}

void ScrapeService::Stop() {
  ptr_ = nullptr;
  if (manager_ != nullptr) manager_->Shutdown();
  manager_.reset();
  appender_.reset();
}

}  // namespace mytsdb::app
