#include "alertmanager_command.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>

#include "alertmanager/route.h"

namespace mytsdb::app {

int RunAlertmanagerRoutes(const AlertmanagerRoutesOptions& options) {
  auto fail = [](const std::string& message) {
    std::fprintf(stderr, "mytsdb: error: %s\n", message.c_str());
    return 1;
  };
  YAML::Node config;
  try {
    config = YAML::LoadFile(options.config_file);
  } catch (const YAML::Exception& e) {
    return fail(options.config_file + ": " + e.what());
  }
  if (!config.IsMap()) return fail(options.config_file + ": not a YAML mapping");
  auto root = alertmanager::Route::FromYaml(config["route"]);
  if (!root.ok()) return fail(options.config_file + ": " + root.status().message());
  if (!options.test) {
    std::printf("%s\n", (*root)->TreeString().c_str());
    return 0;
  }
  std::vector<model::Label> labels;
  for (const std::string& text : options.labels) {
    auto m = alertmanager::ParseMatcher(text);
    if (!m.ok()) return fail("Failed to parse labels: " + m.status().message());
    if (m->type() != alertmanager::MatchType::kEqual) return fail("labels must be specified as key=value pairs");
    labels.push_back({m->name(), m->value()});
  }
  std::string receivers;
  for (const alertmanager::Route* r : (*root)->Match(model::Labels::FromUnsorted(std::move(labels)))) {
    receivers += (receivers.empty() ? "" : ",") + r->options().receiver;
  }
  std::printf("%s\n", receivers.c_str());
  return 0;
}

}  // namespace mytsdb::app
