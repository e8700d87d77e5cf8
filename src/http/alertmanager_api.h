// Alertmanager 0.25's API v2 over MyTSDB's HTTP server, on its paths and
// with its shapes, so that Prometheus, Grafana and amtool talk to the
// built-in Alertmanager unchanged (docs/ALERTMANAGER.md):
//
//   GET  /api/v2/status            version, uptime, configuration
//   GET  /api/v2/receivers
//   GET  /api/v2/alerts            filter, receiver, active, silenced, inhibited
//   POST /api/v2/alerts
//   GET  /api/v2/alerts/groups
//   GET  /api/v2/silences          filter
//   POST /api/v2/silences          create or update
//   GET  /api/v2/silence/{id}
//   DELETE /api/v2/silence/{id}    expire
#pragma once

#include <functional>

#include "http/server.h"

namespace mytsdb::alertmanager {
class Alertmanager;
}  // namespace mytsdb::alertmanager

namespace mytsdb::http {

// `get` returns the Alertmanager to serve; it must outlive the server.
void AddAlertmanagerApi(Server* server, std::function<alertmanager::Alertmanager*()> get);

}  // namespace mytsdb::http
