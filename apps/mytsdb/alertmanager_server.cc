#include "alertmanager_server.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "alertmanager/alertmanager.h"
#include "embedded_alertmanager.h"
#include "history/alert_history.h"
#include "http/alertmanager_api.h"
#include "http/server.h"
#include "io/lock_file.h"
#include "promql/parser.h"
#include "telemetry/metrics.h"

namespace mytsdb::app {

int RunAlertmanagerServer(const AlertmanagerServerOptions& options) {
  auto fail = [](const std::string& message) {
    std::fprintf(stderr, "mytsdb: error: %s\n", message.c_str());
    return 1;
  };
  const size_t colon = options.listen.rfind(':');
  if (colon == std::string::npos) return fail("--web.listen-address must be HOST:PORT, got \"" + options.listen + "\"");
  auto retention = promql::ParseDurationMs(options.retention);
  if (!retention.ok() || *retention <= 0) return fail("invalid --data.retention \"" + options.retention + "\"");
  auto flush = promql::ParseDurationMs(options.history_flush);
  if (!flush.ok() || *flush <= 0) {
    return fail("invalid --alert-history.flush-interval \"" + options.history_flush + "\"");
  }

  std::error_code ec;
  std::filesystem::create_directories(options.storage_path, ec);
  if (ec) return fail("cannot create " + options.storage_path + ": " + ec.message());
  auto lock = io::LockFile::Acquire(options.storage_path);
  if (!lock.ok()) return fail(lock.status().message());

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  telemetry::Registry registry;
  http::ServerOptions server_options;
  server_options.host = options.listen.substr(0, colon);
  server_options.port = std::atoi(options.listen.c_str() + colon + 1);
  server_options.data_api = false;
  server_options.enable_lifecycle = true;  // Alertmanager's /-/reload needs no flag
  server_options.web_config_file = options.web_config_file;
  http::Server server(server_options, &registry);
  if (Status st = server.Bind(); !st.ok()) return fail(st.message());

  // Notification attempts, as the server's alert history keeps them.
  history::AlertHistoryOptions history_options;
  history_options.dir = io::JoinPath(options.storage_path, "alerts");
  history_options.flush_interval = std::chrono::milliseconds(*flush);
  auto history = history::AlertHistory::Open(history_options);
  if (!history.ok()) return fail("the alert history: " + history.status().message());

  alertmanager::AlertmanagerOptions am_options;
  am_options.on_attempt = RecordAttempts(history->get());
  am_options.config_file = options.config_file;
  am_options.data_dir = options.storage_path;
  am_options.retention = absl::Milliseconds(*retention);
  am_options.external_url = options.external_url;
  if (am_options.external_url.empty()) {
    char host[256] = "localhost";
    ::gethostname(host, sizeof(host) - 1);
    am_options.external_url = "http://" + std::string(host) + ":" + std::to_string(server.port());
  }
  auto am = alertmanager::Alertmanager::Start(am_options);
  if (!am.ok()) return fail(am.status().message());
  alertmanager::Alertmanager* manager = am->get();
  http::AddAlertmanagerApi(&server, [manager] { return manager; });
  registry.AddCollector([manager](telemetry::TextWriter* w) { manager->WriteMetrics(w); });
  auto reload = [manager] {
    Status st = manager->Reload();
    if (st.ok()) {
      spdlog::info("alertmanager: configuration reloaded");
    } else {
      spdlog::error("alertmanager: reloading the configuration failed, the running one stays: {}", st.message());
    }
    return st;
  };
  server.SetReloadHandler(reload);
  server.SetQuitHandler([] { ::kill(::getpid(), SIGTERM); });
  spdlog::info("alertmanager: listening on {}:{}, state in {}", server_options.host, server.port(),
               options.storage_path);
  std::thread server_thread([&server] { server.Run(); });
  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) (void)reload();
  spdlog::info("alertmanager: received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  server.Stop();
  server_thread.join();
  manager->Stop();
  if (Status st = (*history)->Close(); !st.ok()) return fail("writing the alert history: " + st.message());
  return 0;
}

}  // namespace mytsdb::app
