#include "alertmanager/pipeline.h"

#include <algorithm>
#include <future>
#include <random>

#include <spdlog/spdlog.h>

#include "alertmanager/notification_data.h"

namespace mytsdb::alertmanager {

namespace {

constexpr const char* kIntegrationNames[] = {"webhook", "email", "slack"};

int IntegrationSlot(const char* name) {
  for (int i = 0; i < 3; ++i) {
    if (std::string_view(name) == kIntegrationNames[i]) return i;
  }
  return 0;
}

bool NeedsUpdate(const std::optional<NotificationEntry>& entry, const std::vector<uint64_t>& firing,
                 const std::vector<uint64_t>& resolved, bool send_resolved, absl::Duration repeat, absl::Time now) {
  if (!entry) return !firing.empty();
  if (!entry->IsFiringSubset(firing)) return true;
  // Everything resolved: notify once that nothing fires any more.
  if (firing.empty()) return !entry->firing.empty();
  if (send_resolved && !entry->IsResolvedSubset(resolved)) return true;
  return entry->timestamp < now - repeat;
}

// backoff.ExponentialBackOff's defaults: 500ms, x1.5, +-50%, at most 1m.
absl::Duration NextBackoff(int attempt) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  double interval = 0.5;
  for (int i = 1; i < attempt && interval < 60; ++i) interval *= 1.5;
  interval = std::min(interval, 60.0);
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  return absl::Seconds(interval * jitter(rng));
}

}  // namespace

void StopSignal::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool StopSignal::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

bool StopSignal::SleepFor(absl::Duration d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, absl::ToChronoNanoseconds(d), [&] { return stopped_; });
}

void NotifyMetrics::Write(telemetry::TextWriter* w) const {
  auto family = [&](const char* name, const char* help, const std::atomic<uint64_t>* values) {
    w->Family(name, "counter", help);
    for (int i = 0; i < 3; ++i) w->Sample(name, {{"integration", kIntegrationNames[i]}}, values[i].load());
  };
  family("alertmanager_notifications_total", "The total number of attempted notifications.", notifications);
  family("alertmanager_notifications_failed_total", "The total number of failed notifications.", failed);
  family("alertmanager_notification_requests_total", "The total number of attempted notification requests.",
         requests);
  family("alertmanager_notification_requests_failed_total", "The total number of failed notification requests.",
         requests_failed);
}

Pipeline::Pipeline(const Config& config, Deps deps) : config_(config), deps_(std::move(deps)) {
  for (const Receiver& r : config.receivers) {
    integrations_[r.name] = deps_.make_integrations ? deps_.make_integrations(r) : MakeIntegrations(r, deps_.templates);
  }
}

bool Pipeline::IntervalHolds(const std::string& name, absl::Time t) const {
  auto it = config_.time_intervals.find(name);
  return it != config_.time_intervals.end() && it->second.Contains(absl::ToUnixMillis(t));
}

bool Pipeline::Run(const Flush& flush, absl::Time deadline) {
  const GroupContext& ctx = flush.context;
  const RouteOptions& route = ctx.route->options();
  std::vector<Alert> alerts;
  for (const Alert& a : flush.alerts) {
    if (!deps_.inhibitor->Mutes(a.labels, ctx.now)) alerts.push_back(a);
  }
  if (alerts.empty()) return true;
  if (!route.active_time_intervals.empty()) {
    const bool active = std::any_of(route.active_time_intervals.begin(), route.active_time_intervals.end(),
                                    [&](const std::string& n) { return IntervalHolds(n, ctx.now); });
    if (!active) return true;
  }
  for (const std::string& n : route.mute_time_intervals) {
    if (IntervalHolds(n, ctx.now)) return true;
  }
  std::erase_if(alerts, [&](const Alert& a) {
    return !deps_.silences->Mutes(a.labels, ctx.now, [this](const std::string& n, absl::Time t) {
                             return IntervalHolds(n, t);
                           }).empty();
  });
  if (alerts.empty()) return true;

  auto it = integrations_.find(route.receiver);
  if (it == integrations_.end() || it->second.empty()) return true;  // a receiver without integrations
  const auto& list = it->second;
  if (list.size() == 1) return RunIntegration(flush, alerts, list[0], deadline);
  std::vector<std::future<bool>> results;
  for (const ReceiverIntegration& ri : list) {
    results.push_back(std::async(std::launch::async, [&, &ri = ri] { return RunIntegration(flush, alerts, ri, deadline); }));
  }
  bool ok = true;
  for (auto& r : results) ok = r.get() && ok;
  return ok;
}

bool Pipeline::RunIntegration(const Flush& flush, const std::vector<Alert>& alerts, const ReceiverIntegration& ri,
                              absl::Time deadline) {
  const GroupContext& ctx = flush.context;
  const RouteOptions& route = ctx.route->options();
  Integration& integration = *ri.integration;
  const std::string receiver_key = route.receiver + "/" + integration.name() + "/" + std::to_string(ri.index);
  std::vector<uint64_t> firing, resolved;
  for (const Alert& a : alerts) (a.ResolvedAt(ctx.now) ? resolved : firing).push_back(a.Fingerprint());
  const absl::Duration repeat = absl::Milliseconds(route.repeat_interval_ms);
  if (!NeedsUpdate(deps_.nflog->Query(ctx.group_key, receiver_key), firing, resolved, integration.send_resolved(),
                   repeat, ctx.now)) {
    return true;
  }
  std::vector<Alert> to_send;
  if (integration.send_resolved()) {
    to_send = alerts;
  } else {
    for (const Alert& a : alerts) {
      if (!a.ResolvedAt(ctx.now)) to_send.push_back(a);
    }
  }
  const int slot = IntegrationSlot(integration.name());
  if (deps_.metrics) deps_.metrics->notifications[slot]++;
  bool ok = to_send.empty();  // only resolved alerts, not sent: recorded as sent
  std::string last_error;
  for (int attempt = 1; !ok; ++attempt) {
    const absl::Time now = absl::FromUnixMillis(deps_.clock->NowMs());
    if (now >= deadline || deps_.stop->stopped()) break;
    NotifyRequest request;
    request.receiver = route.receiver;
    request.group_key = ctx.group_key;
    request.group_labels = ctx.group_labels;
    request.alerts = to_send;
    request.now = now;
    request.external_url = deps_.external_url;
    // One attempt waits at most 30 s (the rest of the flush's time is for
    // retries), so that stopping never waits longer for a dead receiver.
    request.timeout = std::chrono::milliseconds(
        std::clamp<int64_t>(absl::ToInt64Milliseconds(deadline - now), 1, 30'000));
    bool retry = false;
    const Status st = integration.Notify(request, &retry);
    if (deps_.metrics) deps_.metrics->requests[slot]++;
    if (deps_.on_attempt) {
      NotificationAttempt a;
      a.time = now;
      a.receiver = route.receiver;
      a.integration = std::string(integration.name()) + "[" + std::to_string(ri.index) + "]";
      a.group_key = ctx.group_key;
      a.alerts = MakeNotificationData(route.receiver, ctx.group_labels, to_send, now, "").alerts;
      a.ok = st.ok();
      a.error = st.ok() ? "" : st.message();
      deps_.on_attempt(a);
    }
    if (st.ok()) {
      ok = true;
      break;
    }
    if (deps_.metrics) deps_.metrics->requests_failed[slot]++;
    if (st.message() != last_error) {
      spdlog::warn("alertmanager: notify {} for {} failed (attempt {}): {}", receiver_key, ctx.group_key, attempt,
                   st.message());
    }
    last_error = st.message();
    if (!retry) break;
    const absl::Duration wait = std::min(NextBackoff(attempt), deadline - absl::FromUnixMillis(deps_.clock->NowMs()));
    if (wait > absl::ZeroDuration() && !(deps_.sleep ? deps_.sleep(wait) : deps_.stop->SleepFor(wait))) break;
  }
  if (!ok) {
    if (deps_.metrics) deps_.metrics->failed[slot]++;
    spdlog::error("alertmanager: notify {} for {} gave up: {}", receiver_key, ctx.group_key,
                  last_error.empty() ? "no time left" : last_error);
    return false;
  }
  if (Status st = deps_.nflog->Log(ctx.group_key, receiver_key, firing, resolved, 2 * repeat); !st.ok()) {
    spdlog::error("alertmanager: recording the notification of {} failed: {}", ctx.group_key, st.message());
    return false;
  }
  return true;
}

}  // namespace mytsdb::alertmanager
