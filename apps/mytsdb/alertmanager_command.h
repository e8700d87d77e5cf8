// `mytsdb alertmanager routes [test]`: the routing tree of an Alertmanager
// configuration file, printed as `amtool config routes` prints it, and the
// receivers an alert with given labels goes to, as `amtool config routes
// test` prints them (docs/ALERTMANAGER.md).
#pragma once

#include <string>
#include <vector>

namespace mytsdb::app {

struct AlertmanagerRoutesOptions {
  std::string config_file;
  bool test = false;                // `routes test`
  std::vector<std::string> labels;  // LABEL=VALUE, for `test`
};

// Exit code: 0, or 1 with one line on stderr saying what is wrong.
int RunAlertmanagerRoutes(const AlertmanagerRoutesOptions& options);

}  // namespace mytsdb::app
