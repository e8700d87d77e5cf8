#include "scrape/scrape_pool.h"

#include <spdlog/spdlog.h>

#include "io/clock.h"

namespace mytsdb::scrape {

ScrapePool::ScrapePool(std::shared_ptr<const ScrapeConfig> config, Appender* appender, const ScrapeOptions& options)
    : appender_(appender),
      options_(options),
      config_(std::move(config)),
      discovery_(std::make_shared<Discovery>(*config_)) {}

ScrapePool::~ScrapePool() { Shutdown(); }

void ScrapePool::Start() {
  {
    std::lock_guard lock(mu_);
    discovery_->Refresh(io::SystemClock()->NowMs());
    Sync();
  }
  thread_ = std::thread([this] { Run(); });
}

void ScrapePool::Reload(std::shared_ptr<const ScrapeConfig> config) {
  auto discovery = std::make_shared<Discovery>(*config);
  discovery->Refresh(io::SystemClock()->NowMs());
  std::lock_guard lock(mu_);
  config_ = std::move(config);
  discovery_ = std::move(discovery);
  // Restarted at once with the new configuration: no staleness between
  // the old loop and the new one, which keeps the target's offset.
  for (auto& [hash, loop] : loops_) loop->Shutdown();
  loops_.clear();
  Sync();
}

void ScrapePool::Retire() {
  std::lock_guard lock(mu_);
  retired_ = true;
  for (auto& [hash, loop] : loops_) {
    loop->Retire();
    retiring_.push_back(std::move(loop));
  }
  loops_.clear();
  dropped_.clear();
  dropped_count_ = 0;
}

void ScrapePool::Shutdown() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  for (auto& [hash, loop] : loops_) loop->Shutdown();
  for (auto& loop : retiring_) loop->Shutdown();
}

bool ScrapePool::done() const {
  std::lock_guard lock(mu_);
  if (!retired_) return false;
  for (const auto& loop : retiring_) {
    if (!loop->done()) return false;
  }
  return true;
}

const ScrapeConfig& ScrapePool::config() const {
  std::lock_guard lock(mu_);
  return *config_;
}

void ScrapePool::Run() {
  for (;;) {
    std::shared_ptr<Discovery> discovery;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(options_.discovery_tick_ms), [this] { return stop_; });
      if (stop_) return;
      if (!retired_ && discovery_->dynamic()) discovery = discovery_;
    }
    // Files are read and endpoints asked outside the lock, so that the API
    // is not kept waiting by a slow discovery endpoint.
    if (discovery != nullptr && discovery->Refresh(io::SystemClock()->NowMs())) {
      std::lock_guard lock(mu_);
      if (discovery == discovery_) Sync();
    }
    ReapRetired();
  }
}

void ScrapePool::ReapRetired() {
  std::vector<std::unique_ptr<ScrapeLoop>> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = retiring_.begin(); it != retiring_.end();) {
      if ((*it)->done()) {
        finished.push_back(std::move(*it));
        it = retiring_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Joined outside the lock (they have ended; joining is quick).
}

void ScrapePool::Sync() {
  struct Wanted {
    LabelMap labels, discovered;
  };
  std::map<uint64_t, Wanted> wanted;
  dropped_.clear();
  dropped_count_ = 0;
  for (const Discovery::Target& t : discovery_->Targets()) {
    LabelMap discovered = DiscoveredLabels(*config_, t.labels, t.group->labels);
    auto labels = TargetLabels(*config_, discovered);
    if (!labels.ok()) {
      spdlog::warn("scrape: job {}: target {} dropped: {}", config_->job_name, t.labels.at("__address__"),
                   labels.status().message());
      continue;
    }
    if (!labels->has_value()) {
      ++dropped_count_;
      if (config_->keep_dropped_targets == 0 || dropped_.size() < config_->keep_dropped_targets) {
        dropped_.push_back({config_->job_name, std::move(discovered)});
      }
      continue;
    }
    const uint64_t hash = ScrapeLoop::HashOf(*config_, **labels);
    wanted.emplace(hash, Wanted{std::move(**labels), std::move(discovered)});
  }
  for (auto it = loops_.begin(); it != loops_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    it->second->Retire();
    retiring_.push_back(std::move(it->second));
    it = loops_.erase(it);
  }
  for (auto& [hash, w] : wanted) {
    if (loops_.count(hash)) continue;
    auto loop = std::make_unique<ScrapeLoop>(ScrapeLoop::Options{config_, std::move(w.labels), std::move(w.discovered),
                                                                 appender_, options_.user_agent, options_.offset_seed});
    loop->Start();
    loops_.emplace(hash, std::move(loop));
  }
  Status limit;
  if (config_->target_limit > 0 && loops_.size() > config_->target_limit) {
    limit = Status::ResourceExhausted("target_limit exceeded (number of targets: " + std::to_string(loops_.size()) +
                                      ", limit: " + std::to_string(config_->target_limit) + ")");
  }
  for (auto& [hash, loop] : loops_) loop->SetForcedError(limit);
}

std::vector<TargetStatus> ScrapePool::Active() const {
  std::lock_guard lock(mu_);
  std::vector<TargetStatus> out;
  for (const auto& [hash, loop] : loops_) out.push_back(loop->status());
  return out;
}

std::vector<DroppedTarget> ScrapePool::Dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

size_t ScrapePool::dropped_count() const {
  std::lock_guard lock(mu_);
  return dropped_count_;
}

std::vector<TargetMetadata> ScrapePool::Metadata() const {
  std::lock_guard lock(mu_);
  std::vector<TargetMetadata> out;
  for (const auto& [hash, loop] : loops_) {
    const model::Labels labels = loop->status().labels;
    for (auto& family : loop->metadata()) out.push_back({labels, std::move(family)});
  }
  return out;
}

}  // namespace mytsdb::scrape
