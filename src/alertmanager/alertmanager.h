// MyTSDB's Alertmanager: the alerts it holds, the aggregation groups and
// their timers, the notification pipeline, silences and the notification
// log, under one configuration that reloads as a whole (a bad file keeps
// the running one). It runs inside the server (--alertmanager.config.file)
// or alone (`mytsdb alertmanager`); api.h serves it over HTTP.
//
// State under `data_dir`: `silences`, `nflog` and `held_alerts`, each a JSON
// document with a checksum (snapshot_file.h). Silences and the log are
// written before a change is acknowledged; the alerts at most a second
// after they change, so that a restart (even SIGKILL) in the middle of a
// group wait still notifies them, once.
#pragma once

#include <absl/time/time.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/config.h"
#include "alertmanager/dispatcher.h"
#include "alertmanager/inhibitor.h"
#include "alertmanager/notification_log.h"
#include "alertmanager/pipeline.h"
#include "alertmanager/silences.h"
#include "io/clock.h"
#include "io/file_system.h"
#include "telemetry/metrics.h"

namespace mytsdb::alertmanager {

struct AlertmanagerOptions {
  std::string config_file;
  std::string data_dir;      // state files; created if missing
  std::string external_url;  // links in notifications
  absl::Duration retention = absl::Hours(120);  // --data.retention
  io::FileSystem* fs = nullptr;                  // default: the local disk
  io::Clock* clock = nullptr;                    // default: the system clock
  // Flushes run at once, each on its own thread (created as needed, kept
  // idle after), so that a receiver that does not answer holds up only
  // its own groups, as Alertmanager's goroutine per group does.
  int max_notify_threads = 1024;
  absl::Duration maintenance_interval = absl::Minutes(15);  // garbage collection
  std::function<void(const NotificationAttempt&)> on_attempt;  // the alert history
  // Builds a receiver's integrations (default: from its configuration;
  // tests record instead).
  std::function<std::vector<ReceiverIntegration>(const Receiver&)> make_integrations;
};

// An alert as the API reports it.
struct AlertState {
  Alert alert;
  std::vector<std::string> receivers;
  std::vector<std::string> silenced_by;
  std::vector<std::string> inhibited_by;
  const char* state = "active";  // "active", "suppressed"
};

class Alertmanager {
 public:
  // Reads the configuration and the state files, then starts.
  static Result<std::unique_ptr<Alertmanager>> Start(AlertmanagerOptions options);
  ~Alertmanager();

  // Stores alerts as the API receives them: a missing start is now (or the
  // end), a missing end is now + resolve_timeout. Alerts that fail
  // Alertmanager's checks are left out and listed in the error.
  Status PutAlerts(std::vector<Alert> alerts);

  std::vector<AlertState> Alerts() const;
  // The groups with their alerts' states, as /api/v2/alerts/groups lists them.
  struct Group {
    model::Labels labels;
    std::string receiver;
    std::vector<AlertState> alerts;
  };
  std::vector<Group> Groups() const;

  Silences& silences() { return *silences_; }
  std::shared_ptr<const Config> config() const;
  absl::Time started_at() const { return started_at_; }
  const std::string& external_url() const { return options_.external_url; }

  // Re-reads the configuration file; on an error the running one stays.
  Status Reload();
  // Notifies what is due now and waits for it (tests).
  void FlushDueForTest();
  // Stops the timers and notifications in flight; writes the alerts.
  void Stop();

  void WriteMetrics(telemetry::TextWriter* w) const;

 private:
  // What a configuration builds; replaced whole on reload. Flushes in
  // flight keep theirs.
  struct Generation {
    std::shared_ptr<const Config> config;
    std::unique_ptr<Inhibitor> inhibitor;
    std::unique_ptr<Dispatcher> dispatcher;  // guarded by mu_
    std::unique_ptr<Pipeline> pipeline;
  };

  explicit Alertmanager(AlertmanagerOptions options);
  absl::Time Now() const;
  Result<std::shared_ptr<Generation>> Build(std::shared_ptr<const Config> config);  // holds mu_
  AlertState StateOf(const Alert& alert, const Generation& g, absl::Time now) const;
  void Schedule();
  void Work();
  void AddWorkersForQueue();  // holds mu_
  void Maintain();
  Status PersistAlerts(const std::map<uint64_t, Alert>& alerts);
  Status LoadAlerts();

  const AlertmanagerOptions options_;
  absl::Time started_at_;
  std::unique_ptr<Silences> silences_;
  std::unique_ptr<NotificationLog> nflog_;
  NotifyMetrics notify_metrics_;
  StopSignal stop_;

  mutable std::mutex mu_;
  std::condition_variable wake_;       // the scheduler
  std::condition_variable work_cv_;    // the workers
  std::shared_ptr<Generation> current_;
  std::map<uint64_t, Alert> alerts_;   // by fingerprint
  bool alerts_dirty_ = false;
  std::deque<std::pair<std::shared_ptr<Generation>, Flush>> queue_;
  size_t running_ = 0;
  size_t idle_ = 0;  // workers waiting for a flush
  bool stopping_ = false;
  uint64_t received_firing_ = 0, received_resolved_ = 0, invalid_ = 0;
  uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
  bool last_reload_ok_ = true;
  std::thread scheduler_;
  std::vector<std::thread> workers_;
};

}  // namespace mytsdb::alertmanager
