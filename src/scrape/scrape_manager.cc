#include "scrape/scrape_manager.h"

#include <set>

#include "scrape/scrape_pool.h"

namespace mytsdb::scrape {

ScrapeManager::ScrapeManager(Appender* appender, ScrapeOptions options)
    : appender_(appender), options_(std::move(options)) {}

ScrapeManager::~ScrapeManager() { Shutdown(); }

void ScrapeManager::ApplyConfig(const std::vector<ScrapeConfig>& configs) {
  std::lock_guard lock(mu_);
  std::set<std::string> jobs;
  for (const ScrapeConfig& c : configs) {
    jobs.insert(c.job_name);
    auto it = pools_.find(c.job_name);
    if (it == pools_.end()) {
      auto pool = std::make_unique<ScrapePool>(std::make_shared<const ScrapeConfig>(c), appender_, options_);
      pool->Start();
      pools_.emplace(c.job_name, std::move(pool));
    } else if (it->second->config().fingerprint != c.fingerprint) {
      it->second->Reload(std::make_shared<const ScrapeConfig>(c));
    }
  }
  for (auto it = pools_.begin(); it != pools_.end();) {
    if (jobs.count(it->first)) {
      ++it;
      continue;
    }
    it->second->Retire();
    retiring_.push_back(std::move(it->second));
    it = pools_.erase(it);
  }
  std::erase_if(retiring_, [](const std::unique_ptr<ScrapePool>& p) { return p->done(); });
}

void ScrapeManager::Shutdown() {
  std::lock_guard lock(mu_);
  for (auto& [name, pool] : pools_) pool->Shutdown();
  for (auto& pool : retiring_) pool->Shutdown();
}

std::vector<std::string> ScrapeManager::PoolNames() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, pool] : pools_) out.push_back(name);
  return out;
}

template <typename T>
std::vector<T> ScrapeManager::Gather(std::vector<T> (ScrapePool::*get)() const) const {
  std::lock_guard lock(mu_);
  std::vector<T> out;
  for (const auto& [name, pool] : pools_) {
    auto part = (pool.get()->*get)();
    out.insert(out.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return out;
}

std::vector<TargetStatus> ScrapeManager::ActiveTargets() const { return Gather(&ScrapePool::Active); }

std::vector<DroppedTarget> ScrapeManager::DroppedTargets() const { return Gather(&ScrapePool::Dropped); }

std::vector<TargetMetadata> ScrapeManager::Metadata() const { return Gather(&ScrapePool::Metadata); }

std::map<std::string, size_t> ScrapeManager::DroppedTargetCounts() const {
  std::lock_guard lock(mu_);
  std::map<std::string, size_t> out;
  for (const auto& [name, pool] : pools_) out[name] = pool->dropped_count();
  return out;
}

}  // namespace mytsdb::scrape
