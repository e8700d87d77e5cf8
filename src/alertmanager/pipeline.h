// The notification pipeline (notify.BuildPipeline of Alertmanager 0.25),
// run for each flush of an aggregation group:
//
//   inhibition -> active time intervals -> mute time intervals -> silences
//   -> for each integration of the receiver, in parallel:
//        dedup against the notification log -> send, retried with
//        exponential backoff until the deadline -> record in the log
//
// A flush whose alerts are all muted, or that falls outside the route's
// active times, succeeds without sending. Dedup sends when the firing set
// is not a subset of what was last sent, when firing alerts went away,
// when resolved ones are new and the integration sends resolved ones, or
// when repeat_interval has passed.
#pragma once

#include <absl/time/time.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/dispatcher.h"
#include "alertmanager/inhibitor.h"
#include "alertmanager/integration.h"
#include "alertmanager/notification_data.h"
#include "alertmanager/notification_template.h"
#include "alertmanager/notification_log.h"
#include "alertmanager/silences.h"
#include "io/clock.h"
#include "telemetry/metrics.h"

namespace mytsdb::alertmanager {

// Sleeps that end early when the Alertmanager stops.
class StopSignal {
 public:
  void Stop();
  bool stopped() const;
  // False when stopped before `d` passed.
  bool SleepFor(absl::Duration d);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

// One attempt to notify, as the alert history records it.
struct NotificationAttempt {
  absl::Time time;
  std::string receiver;
  std::string integration;  // "webhook[0]"
  std::string group_key;
  std::vector<AlertData> alerts;
  bool ok = false;
  std::string error;
};

// Counters of notifications per integration kind (Alertmanager's names).
struct NotifyMetrics {
  std::atomic<uint64_t> notifications[3] = {};
  std::atomic<uint64_t> failed[3] = {};
  std::atomic<uint64_t> requests[3] = {};
  std::atomic<uint64_t> requests_failed[3] = {};
  void Write(telemetry::TextWriter* w) const;
};

class Pipeline {
 public:
  struct Deps {
    const Inhibitor* inhibitor = nullptr;
    const Silences* silences = nullptr;
    NotificationLog* nflog = nullptr;
    std::string external_url;
    io::Clock* clock = nullptr;
    StopSignal* stop = nullptr;
    NotifyMetrics* metrics = nullptr;
    std::function<void(const NotificationAttempt&)> on_attempt;  // may be empty
    // Waits between retries; false to give up (default: stop->SleepFor;
    // tests move their clock instead).
    std::function<bool(absl::Duration)> sleep;
    // Builds a receiver's integrations (tests put recorders here).
    std::function<std::vector<ReceiverIntegration>(const Receiver&)> make_integrations;
    // The templates of email and Slack (default: MyTSDB's defaults only).
    std::shared_ptr<const NotificationTemplates> templates;
  };

  // `config` must outlive the pipeline.
  Pipeline(const Config& config, Deps deps);

  // Runs the stages for one flush; true when every integration that had
  // something to send sent it (or nothing was to be sent).
  bool Run(const Flush& flush, absl::Time deadline);

  // Whether the named time interval holds at `t` (silences use it too).
  bool IntervalHolds(const std::string& name, absl::Time t) const;

 private:
  bool RunIntegration(const Flush& flush, const std::vector<Alert>& alerts, const ReceiverIntegration& ri,
                      absl::Time deadline);

  const Config& config_;
  const Deps deps_;
  std::map<std::string, std::vector<ReceiverIntegration>> integrations_;  // by receiver
};

}  // namespace mytsdb::alertmanager
