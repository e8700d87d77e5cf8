// Commands on Alertmanager configuration files (docs/ALERTMANAGER.md):
// `mytsdb alertmanager routes [test]` prints the routing tree as `amtool
// config routes` prints it, and the receivers an alert with given labels
// goes to, as `amtool config routes test` prints them; `mytsdb check
// alertmanager-config FILE...` checks files as `amtool check-config` does.
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

// amtool check-config's output ("Checking 'F'  SUCCESS", what was found,
// the templates' verdict); exit code 1 when a file or its templates fail.
int RunCheckAlertmanagerConfig(const std::vector<std::string>& files);

}  // namespace mytsdb::app
