#include "alertmanager/alertmanager.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "alertmanager/snapshot_file.h"
#include "common/utf8.h"
#include "template/quote.h"

namespace mytsdb::alertmanager {

namespace {

// The shortest a flush may take before it gives up (notify.MinTimeout).
constexpr absl::Duration kMinFlushTimeout = absl::Seconds(10);
// How often empty groups are dropped (dispatch's cleanup tick).
constexpr absl::Duration kCleanupInterval = absl::Seconds(30);
// How long changed alerts may wait before they are written.
constexpr absl::Duration kAlertsPersistDelay = absl::Seconds(1);

Status ValidateAlert(const Alert& a) {
  if (a.starts_at == kZeroTime) return Status::InvalidArgument("start time missing");
  if (a.ends_at != kZeroTime && a.ends_at < a.starts_at) {
    return Status::InvalidArgument("start time must be before end time");
  }
  for (const model::Label& l : a.labels) {
    if (!model::IsValidLegacyLabelName(l.name)) {
      return Status::InvalidArgument("invalid label set: invalid name " + tmpl::GoQuote(l.name));
    }
    if (!model::IsValidUtf8(l.value)) return Status::InvalidArgument("invalid label set: invalid value " + tmpl::GoQuote(l.value));
  }
  if (a.labels.empty()) return Status::InvalidArgument("at least one label pair required");
  for (const auto& [name, value] : a.annotations) {
    if (!model::IsValidLegacyLabelName(name)) {
      return Status::InvalidArgument("invalid annotations: invalid name " + tmpl::GoQuote(name));
    }
    if (!model::IsValidUtf8(value)) return Status::InvalidArgument("invalid annotations: invalid value " + tmpl::GoQuote(value));
  }
  return Status::OK();
}

}  // namespace

Alertmanager::Alertmanager(AlertmanagerOptions options) : options_(std::move(options)) {}

absl::Time Alertmanager::Now() const { return absl::FromUnixMillis(options_.clock->NowMs()); }

Result<std::unique_ptr<Alertmanager>> Alertmanager::Start(AlertmanagerOptions options) {
  if (options.fs == nullptr) options.fs = io::PosixFileSystem();
  if (options.clock == nullptr) options.clock = io::SystemClock();
  ASSIGN_OR_RETURN(Config config, LoadConfigFile(options.config_file));
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Status::IOError("creating " + options.data_dir + ": " + ec.message());
  auto am = std::unique_ptr<Alertmanager>(new Alertmanager(std::move(options)));
  const AlertmanagerOptions& o = am->options_;
  ASSIGN_OR_RETURN(am->silences_,
                   Silences::Open({o.fs, o.data_dir + "/silences", o.clock, o.retention}));
  ASSIGN_OR_RETURN(am->nflog_, NotificationLog::Open({o.fs, o.data_dir + "/nflog", o.clock, o.retention}));
  RETURN_NOT_OK(am->LoadAlerts());
  am->started_at_ = am->Now();
  {
    std::lock_guard lock(am->mu_);
    ASSIGN_OR_RETURN(am->current_, am->Build(std::make_shared<const Config>(std::move(config))));
  }
  am->scheduler_ = std::thread([a = am.get()] { a->Schedule(); });
  {
    std::lock_guard lock(am->mu_);
    am->workers_.emplace_back([a = am.get()] { a->Work(); });
  }
  return am;
}

Alertmanager::~Alertmanager() { Stop(); }

Result<std::shared_ptr<Alertmanager::Generation>> Alertmanager::Build(std::shared_ptr<const Config> config) {
  // Templates that do not parse make the configuration fail, as in
  // Alertmanager.
  auto templates = NotificationTemplates::Load(config->templates);
  if (!templates.ok()) return templates.status().WithContext("failed to parse templates");
  auto g = std::make_shared<Generation>();
  g->config = std::move(config);
  g->inhibitor = std::make_unique<Inhibitor>(g->config->inhibit_rules);
  g->dispatcher = std::make_unique<Dispatcher>(g->config->route.get());
  Pipeline::Deps deps;
  deps.inhibitor = g->inhibitor.get();
  deps.silences = silences_.get();
  deps.nflog = nflog_.get();
  deps.external_url = options_.external_url;
  deps.clock = options_.clock;
  deps.stop = &stop_;
  deps.metrics = &notify_metrics_;
  deps.on_attempt = options_.on_attempt;
  deps.templates = *std::move(templates);
  deps.make_integrations = options_.make_integrations;
  g->pipeline = std::make_unique<Pipeline>(*g->config, std::move(deps));
  // The new groups start from every alert held, as a new dispatcher
  // subscribing to Alertmanager's alert provider does.
  const absl::Time now = Now();
  for (const auto& [fp, alert] : alerts_) {
    g->inhibitor->Observe(alert);
    g->dispatcher->Insert(alert, now);
  }
  return g;
}

Status Alertmanager::PutAlerts(std::vector<Alert> alerts) {
  const absl::Time now = Now();
  std::string errors;
  std::lock_guard lock(mu_);
  const absl::Duration resolve_timeout = absl::Milliseconds(current_->config->global.resolve_timeout_ms);
  for (Alert& a : alerts) {
    if (a.starts_at == kZeroTime) a.starts_at = a.ends_at == kZeroTime ? now : a.ends_at;
    if (a.ends_at == kZeroTime) {
      a.timeout = true;
      a.ends_at = now + resolve_timeout;
    }
    (a.ends_at > now ? received_firing_ : received_resolved_)++;
    // Empty label values mean "no such label".
    std::vector<model::Label> labels;
    for (const model::Label& l : a.labels) {
      if (!l.value.empty()) labels.push_back(l);
    }
    a.labels = model::Labels::FromSorted(std::move(labels));
    if (Status st = ValidateAlert(a); !st.ok()) {
      errors += (errors.empty() ? "" : "; ") + st.message();
      ++invalid_;
      continue;
    }
    a.updated_at = now;
    const uint64_t fp = a.Fingerprint();
    if (auto it = alerts_.find(fp); it != alerts_.end() && Overlaps(it->second, a)) a = MergeAlerts(it->second, a);
    alerts_[fp] = a;
    current_->inhibitor->Observe(a);
    current_->dispatcher->Insert(a, now);
  }
  alerts_dirty_ = true;
  wake_.notify_one();
  if (!errors.empty()) return Status::InvalidArgument(errors);
  return Status::OK();
}

AlertState Alertmanager::StateOf(const Alert& alert, const Generation& g, absl::Time now) const {
  AlertState s;
  s.alert = alert;
  for (const Route* r : g.config->route->Match(alert.labels)) s.receivers.push_back(r->options().receiver);
  std::sort(s.receivers.begin(), s.receivers.end());
  s.silenced_by = silences_->Mutes(alert.labels, now, [&g](const std::string& name, absl::Time t) {
    return g.pipeline->IntervalHolds(name, t);
  });
  if (auto by = g.inhibitor->Mutes(alert.labels, now)) s.inhibited_by.push_back(FingerprintString(*by));
  s.state = s.silenced_by.empty() && s.inhibited_by.empty() ? "active" : "suppressed";
  return s;
}

std::vector<AlertState> Alertmanager::Alerts() const {
  const absl::Time now = Now();
  std::lock_guard lock(mu_);
  std::vector<AlertState> out;
  for (const auto& [fp, a] : alerts_) out.push_back(StateOf(a, *current_, now));
  return out;
}

std::vector<Alertmanager::Group> Alertmanager::Groups() const {
  const absl::Time now = Now();
  std::lock_guard lock(mu_);
  std::vector<Group> out;
  for (GroupView& v : current_->dispatcher->Groups()) {
    Group g;
    g.labels = std::move(v.labels);
    g.receiver = std::move(v.receiver);
    for (const Alert& a : v.alerts) g.alerts.push_back(StateOf(a, *current_, now));
    out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(), [](const Group& a, const Group& b) {
    if (a.labels == b.labels) return a.receiver < b.receiver;
    return LabelsBefore(a.labels, b.labels);
  });
  return out;
}

std::shared_ptr<const Config> Alertmanager::config() const {
  std::lock_guard lock(mu_);
  return current_->config;
}

Status Alertmanager::Reload() {
  auto config = LoadConfigFile(options_.config_file);
  std::lock_guard lock(mu_);
  if (!config.ok()) {
    ++reloads_failed_;
    last_reload_ok_ = false;
    return config.status();
  }
  auto built = Build(std::make_shared<const Config>(*std::move(config)));
  if (!built.ok()) {
    ++reloads_failed_;
    last_reload_ok_ = false;
    return built.status();
  }
  current_ = *std::move(built);
  ++reloads_ok_;
  last_reload_ok_ = true;
  wake_.notify_one();
  return Status::OK();
}

void Alertmanager::Schedule() {
  absl::Time next_cleanup = Now() + kCleanupInterval;
  absl::Time next_maintenance = Now() + options_.maintenance_interval;
  absl::Time dirty_since = absl::InfiniteFuture();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const absl::Time now = Now();
    for (Flush& f : current_->dispatcher->TakeDue(now)) queue_.emplace_back(current_, std::move(f));
    AddWorkersForQueue();
    work_cv_.notify_all();
    if (now >= next_cleanup) {
      current_->dispatcher->Cleanup();
      next_cleanup = now + kCleanupInterval;
    }
    if (alerts_dirty_ && dirty_since == absl::InfiniteFuture()) dirty_since = now;
    if (now >= dirty_since + kAlertsPersistDelay) {
      alerts_dirty_ = false;
      dirty_since = absl::InfiniteFuture();
      // Written from a copy: ingestion and the API do not wait for the disk.
      const std::map<uint64_t, Alert> snapshot = alerts_;
      lock.unlock();
      const Status st = PersistAlerts(snapshot);
      lock.lock();
      if (!st.ok()) {
        spdlog::error("alertmanager: writing the alerts: {}", st.message());
        alerts_dirty_ = true;
      }
    }
    if (now >= next_maintenance) {
      lock.unlock();
      Maintain();
      lock.lock();
      next_maintenance = now + options_.maintenance_interval;
    }
    absl::Time wake_at = std::min({current_->dispatcher->NextDue(), next_cleanup, next_maintenance,
                                   dirty_since == absl::InfiniteFuture() ? absl::InfiniteFuture()
                                                                         : dirty_since + kAlertsPersistDelay});
    // The clock may be a test's: wake at least every 100ms to look again.
    const absl::Duration wait = std::clamp(wake_at - Now(), absl::ZeroDuration(), absl::Milliseconds(100));
    wake_.wait_for(lock, absl::ToChronoNanoseconds(wait));
  }
}

void Alertmanager::AddWorkersForQueue() {
  while (queue_.size() > idle_ && workers_.size() < static_cast<size_t>(std::max(1, options_.max_notify_threads))) {
    ++idle_;  // counted before it starts, so the loop sees it
    workers_.emplace_back([this] {
      {
        std::lock_guard lock(mu_);
        --idle_;
      }
      Work();
    });
  }
}

void Alertmanager::Work() {
  std::unique_lock lock(mu_);
  while (true) {
    ++idle_;
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (stopping_ && queue_.empty()) return;
    auto [generation, flush] = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    const absl::Duration timeout =
        std::max(absl::Milliseconds(flush.context.route->options().group_interval_ms), kMinFlushTimeout);
    const bool ok = generation->pipeline->Run(flush, flush.context.now + timeout);
    lock.lock();
    generation->dispatcher->Done(flush, ok);
    --running_;
    wake_.notify_all();
  }
}

void Alertmanager::FlushDueForTest() {
  std::unique_lock lock(mu_);
  for (Flush& f : current_->dispatcher->TakeDue(Now())) queue_.emplace_back(current_, std::move(f));
  AddWorkersForQueue();
  work_cv_.notify_all();
  wake_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

void Alertmanager::Maintain() {
  if (auto n = silences_->GarbageCollect(); !n.ok()) {
    spdlog::error("alertmanager: silences garbage collection: {}", n.status().message());
  }
  if (auto n = nflog_->GarbageCollect(); !n.ok()) {
    spdlog::error("alertmanager: notification log garbage collection: {}", n.status().message());
  }
  std::lock_guard lock(mu_);
  const absl::Time now = Now();
  // Resolved alerts leave the store (their groups keep what they need).
  const size_t before = alerts_.size();
  std::erase_if(alerts_, [&](const auto& kv) { return kv.second.ResolvedAt(now); });
  if (alerts_.size() != before) alerts_dirty_ = true;
  current_->inhibitor->GarbageCollect(now);
}

void Alertmanager::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_.Stop();
  wake_.notify_all();
  work_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  std::lock_guard lock(mu_);
  if (Status st = PersistAlerts(alerts_); !st.ok()) spdlog::error("alertmanager: writing the alerts: {}", st.message());
}

Status Alertmanager::PersistAlerts(const std::map<uint64_t, Alert>& alerts) {
  return WriteStateDocument(options_.fs, options_.data_dir + "/held_alerts", "alerts", [&alerts](JsonWriter* w) {
    for (const auto& [fp, a] : alerts) {
      w->StartObject();
      w->Key("labels");
      WriteLabelsJson(w, a.labels);
      w->Key("annotations");
      WriteStringMapJson(w, a.annotations);
      for (auto [key, t] : {std::pair{"startsAt", a.starts_at}, {"endsAt", a.ends_at}, {"updatedAt", a.updated_at}}) {
        w->Key(key);
        WriteJsonString(w, FormatRfc3339(t));
      }
      w->Key("generatorURL");
      WriteJsonString(w, a.generator_url);
      w->Key("timeout");
      w->Bool(a.timeout);
      w->EndObject();
    }
  });
}

Status Alertmanager::LoadAlerts() {
  const std::string path = options_.data_dir + "/held_alerts";
  ASSIGN_OR_RETURN(std::optional<rapidjson::Document> doc, ReadStateDocument(options_.fs, path, "alerts"));
  if (!doc) return Status::OK();
  auto corrupt = [&](const std::string& what) { return CorruptState(path, what); };
  for (const auto& v : (*doc)["alerts"].GetArray()) {
    if (!v.IsObject() || !v.HasMember("labels") || !v["labels"].IsObject()) return corrupt("an alert is malformed");
    Alert a;
    std::vector<model::Label> labels;
    for (const auto& m : v["labels"].GetObject()) {
      if (!m.value.IsString()) return corrupt("an alert has a malformed label");
      labels.push_back({m.name.GetString(), m.value.GetString()});
    }
    a.labels = model::Labels::FromUnsorted(std::move(labels));
    if (v.HasMember("annotations") && v["annotations"].IsObject()) {
      for (const auto& m : v["annotations"].GetObject()) {
        if (m.value.IsString()) a.annotations[m.name.GetString()] = m.value.GetString();
      }
    }
    for (auto [key, target] : {std::pair{"startsAt", &a.starts_at}, {"endsAt", &a.ends_at}, {"updatedAt", &a.updated_at}}) {
      auto it = v.FindMember(key);
      if (it == v.MemberEnd() || !it->value.IsString()) return corrupt(std::string("an alert has no ") + key);
      auto t = ParseRfc3339(it->value.GetString());
      if (!t.ok()) return corrupt(t.status().message());
      *target = *t;
    }
    if (v.HasMember("generatorURL") && v["generatorURL"].IsString()) a.generator_url = v["generatorURL"].GetString();
    a.timeout = v.HasMember("timeout") && v["timeout"].IsBool() && v["timeout"].GetBool();
    alerts_[a.Fingerprint()] = std::move(a);
  }
  return Status::OK();
}

void Alertmanager::WriteMetrics(telemetry::TextWriter* w) const {
  notify_metrics_.Write(w);
  std::lock_guard lock(mu_);
  const absl::Time now = Now();
  uint64_t active = 0, suppressed = 0;
  for (const auto& [fp, a] : alerts_) {
    if (a.ResolvedAt(now)) continue;
    (StateOf(a, *current_, now).state[0] == 'a' ? active : suppressed)++;
  }
  w->Family("alertmanager_alerts", "gauge", "How many alerts by state.");
  w->Sample("alertmanager_alerts", {{"state", "active"}}, static_cast<double>(active));
  w->Sample("alertmanager_alerts", {{"state", "suppressed"}}, static_cast<double>(suppressed));
  w->Family("alertmanager_alerts_received_total", "counter", "The total number of received alerts.");
  w->Sample("alertmanager_alerts_received_total", {{"status", "firing"}}, static_cast<double>(received_firing_));
  w->Sample("alertmanager_alerts_received_total", {{"status", "resolved"}}, static_cast<double>(received_resolved_));
  w->Family("alertmanager_alerts_invalid_total", "counter", "The total number of received alerts that were invalid.");
  w->Sample("alertmanager_alerts_invalid_total", {}, static_cast<double>(invalid_));
  w->Family("alertmanager_dispatcher_aggregation_groups", "gauge", "Number of active aggregation groups");
  w->Sample("alertmanager_dispatcher_aggregation_groups", {}, static_cast<double>(current_->dispatcher->group_count()));
  std::map<std::string, uint64_t> silence_states = {{"active", 0}, {"pending", 0}, {"expired", 0}};
  for (const Silence& s : silences_->List()) silence_states[SilenceStateString(s.StateAt(now))]++;
  w->Family("alertmanager_silences", "gauge", "How many silences by state.");
  for (const auto& [state, n] : silence_states) w->Sample("alertmanager_silences", {{"state", state}}, static_cast<double>(n));
  w->Family("alertmanager_nflog_entries", "gauge", "Entries of the notification log.");
  w->Sample("alertmanager_nflog_entries", {}, static_cast<double>(nflog_->size()));
  w->Family("alertmanager_config_last_reload_successful", "gauge", "Whether the last configuration reload attempt was successful.");
  w->Sample("alertmanager_config_last_reload_successful", {}, last_reload_ok_ ? 1 : 0);
}

}  // namespace mytsdb::alertmanager
