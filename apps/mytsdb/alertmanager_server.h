// `mytsdb alertmanager --config.file F`: the built-in Alertmanager alone,
// as a drop-in for Alertmanager 0.25 (its flags, API v2, /-/healthy,
// /-/ready, /-/reload and SIGHUP), keeping its state under
// --storage.path, with every notification attempt in the Delta table
// STORAGE/alerts (the alert history's layout; docs/ALERTMANAGER.md).
#pragma once

#include <string>

namespace mytsdb::app {

struct AlertmanagerServerOptions {
  std::string config_file;
  std::string listen = "127.0.0.1:9093";  // --web.listen-address
  std::string storage_path = "data/";     // --storage.path
  std::string external_url;               // --web.external-url; default http://HOST:PORT
  std::string retention = "120h";         // --data.retention
  std::string history_flush = "10s";      // --alert-history.flush-interval
  std::string web_config_file;            // --web.config.file: TLS and basic auth
};

// Exit code: 0 after SIGTERM/SIGINT, 1 with one line saying what is wrong.
int RunAlertmanagerServer(const AlertmanagerServerOptions& options);

}  // namespace mytsdb::app
