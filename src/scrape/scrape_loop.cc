#include "scrape/scrape_loop.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "io/clock.h"
#include "model/duration.h"

namespace mytsdb::scrape {

namespace {

uint64_t TargetHash(const LabelMap& labels, const std::string& url) {
  std::vector<model::Label> items;
  for (const auto& [name, value] : labels) items.push_back({name, value});
  items.push_back({"\xff" "url", url});  // sorts last
  return model::Labels::FromSorted(std::move(items)).Hash();
}

int64_t NowMs() { return io::SystemClock()->NowMs(); }

// A duration label TargetLabels checked, or `fallback`.
int64_t DurationLabel(const LabelMap& labels, const char* name, int64_t fallback) {
  auto it = labels.find(name);
  if (it == labels.end()) return fallback;
  auto ms = model::ParseDuration(it->second);
  return ms.ok() && *ms > 0 ? *ms : fallback;
}

}  // namespace

uint64_t ScrapeLoop::HashOf(const ScrapeConfig& config, const LabelMap& target_labels) {
  return TargetHash(target_labels, TargetUrl(config, target_labels));
}

const char* HealthName(Health health) {
  switch (health) {
    case Health::kUp:
      return "up";
    case Health::kDown:
      return "down";
    case Health::kUnknown:
      break;
  }
  return "unknown";
}

ScrapeLoop::ScrapeLoop(Options options)
    : options_(std::move(options)),
      interval_ms_(DurationLabel(options_.target_labels, "__scrape_interval__", options_.config->scrape_interval_ms)),
      timeout_ms_(DurationLabel(options_.target_labels, "__scrape_timeout__", options_.config->scrape_timeout_ms)),
      url_(TargetUrl(*options_.config, options_.target_labels)),
      hash_(TargetHash(options_.target_labels, url_)),
      fetcher_(options_.config, url_, options_.user_agent, timeout_ms_),
      appender_(options_.config.get(), PublicLabels(options_.target_labels)) {
  status_.scrape_pool = options_.config->job_name;
  status_.scrape_url = url_;
  status_.discovered_labels = options_.discovered_labels;
  status_.labels = appender_.target_labels();
  status_.scrape_interval_ms = interval_ms_;
  status_.scrape_timeout_ms = timeout_ms_;
}

ScrapeLoop::~ScrapeLoop() { Shutdown(); }

void ScrapeLoop::Start() { thread_ = std::thread([this] { Run(); }); }

void ScrapeLoop::Retire() {
  std::lock_guard lock(mu_);
  retired_ = true;
  cv_.notify_all();
}

void ScrapeLoop::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  done_ = true;
}

bool ScrapeLoop::SleepUntil(int64_t deadline_ms, bool wake_on_retire) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (shutdown_ || (wake_on_retire && retired_)) return false;
    const int64_t now = NowMs();
    if (now >= deadline_ms) return true;
    cv_.wait_for(lock, std::chrono::milliseconds(deadline_ms - now));
  }
}

void ScrapeLoop::Run() {
  const int64_t interval = interval_ms_;
  int64_t next = FirstScrapeTime(hash_, options_.offset_seed, interval, NowMs());
  int64_t last = 0;
  while (SleepUntil(next, /*wake_on_retire=*/true)) {
    // As Prometheus: the scheduled time when the tick came within 2 ms of
    // it, so that timestamps fall on a regular grid and compress well.
    const int64_t now = NowMs();
    ScrapeAt(now - next <= 2 ? next : now);
    last = next;
    next += interval;
    if (const int64_t late = NowMs() - next; late >= 0) next += (late / interval + 1) * interval;  // skip missed ticks
  }
  bool retired;
  {
    std::lock_guard lock(mu_);
    retired = retired_ && !shutdown_;
  }
  // Staleness after the target went away, at the next scrape's time, once
  // the one after it and a tenth of an interval passed with no return.
  if (retired && last != 0 && SleepUntil(next + interval + interval / 10, /*wake_on_retire=*/false)) EndOfRun(next);
  done_ = true;
}

void ScrapeLoop::EndOfRun(int64_t stale_time) {
  AppendBatch batch;
  appender_.AddEndOfRun(stale_time, &batch);
  const auto view = batch.View();
  storage::StorageAppendResult result;
  if (Status st = options_.appender->Append(view, {}, &result); !st.ok()) {
    spdlog::warn("scrape: stale markers of {} not written: {}", url_, st.ToString());
    return;
  }
  appender_.Commit();
}

Status ScrapeLoop::FetchAndParse(Exposition* out) {
  auto fetched = fetcher_.Fetch();
  if (!fetched.ok()) return fetched.status();
  auto choice = ChooseFormat(fetched->content_type, options_.config->fallback_scrape_protocol);
  if (!choice.ok()) return choice.status();
  if (!choice->warning.empty()) spdlog::debug("scrape: {}: {}", url_, choice->warning);
  ASSIGN_OR_RETURN(*out, Parse(fetched->body, choice->format));
  return Status::OK();
}

void ScrapeLoop::ScrapeAt(int64_t t) {
  const auto start = std::chrono::steady_clock::now();
  Status error;
  {
    std::lock_guard lock(mu_);
    error = forced_error_;  // target_limit exceeded: no fetch
  }
  Exposition exposition;
  if (error.ok()) error = FetchAndParse(&exposition);
  const double duration = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  AppendBatch batch;
  ScrapeCounts counts;
  if (error.ok()) {
    auto added = appender_.AddScrape(std::move(exposition.samples), exposition.metadata, t, &batch);
    if (added.ok()) {
      counts = *added;
    } else {
      error = added.status();
      batch = AppendBatch();
    }
  }
  if (!error.ok()) appender_.AddFailure(t, &batch);
  appender_.AddReport(error.ok(), duration, counts, t, &batch);
  const auto view = batch.View();
  storage::StorageAppendResult result;
  Status appended = options_.appender->Append(view, batch.metadata, &result);
  if (appended.ok()) {
    appender_.Commit();
  } else {
    spdlog::warn("scrape: appending the scrape of {} failed: {}", url_, appended.ToString());
    if (error.ok()) error = appended;
  }
  std::lock_guard lock(mu_);
  if (error.ok()) metadata_ = std::move(exposition.metadata);
  status_.health = error.ok() ? Health::kUp : Health::kDown;
  status_.last_error = error.ok() ? "" : error.message();
  status_.last_scrape_ms = t;
  status_.last_scrape_duration_seconds = duration;
}

void ScrapeLoop::SetForcedError(Status error) {
  std::lock_guard lock(mu_);
  forced_error_ = std::move(error);
}

std::vector<FamilyMetadata> ScrapeLoop::metadata() const {
  std::lock_guard lock(mu_);
  return metadata_;
}

TargetStatus ScrapeLoop::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace mytsdb::scrape
