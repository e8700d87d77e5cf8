#include "alertmanager_command.h"

#include <cstdio>

#include "alertmanager/config.h"
#include "alertmanager/notification_template.h"

namespace mytsdb::app {

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "mytsdb: error: %s\n", message.c_str());
  return 1;
}

}  // namespace

int RunAlertmanagerRoutes(const AlertmanagerRoutesOptions& options) {
  auto config = alertmanager::LoadConfigFile(options.config_file);
  if (!config.ok()) return Fail(options.config_file + ": " + config.status().message());
  const alertmanager::Route& root = *config->route;
  if (!options.test) {
    std::printf("%s\n", root.TreeString().c_str());
    return 0;
  }
  std::vector<model::Label> labels;
  for (const std::string& text : options.labels) {
    auto m = alertmanager::ParseMatcher(text);
    if (!m.ok()) return Fail("Failed to parse labels: " + m.status().message());
    if (m->type() != alertmanager::MatchType::kEqual) return Fail("labels must be specified as key=value pairs");
    labels.push_back({m->name(), m->value()});
  }
  std::string receivers;
  for (const alertmanager::Route* r : root.Match(model::Labels::FromUnsorted(std::move(labels)))) {
    receivers += (receivers.empty() ? "" : ",") + r->options().receiver;
  }
  std::printf("%s\n", receivers.c_str());
  return 0;
}

int RunCheckAlertmanagerConfig(const std::vector<std::string>& files) {
  int failed = 0;
  for (const std::string& file : files) {
    std::printf("Checking '%s'", file.c_str());
    auto config = alertmanager::LoadConfigFile(file);
    if (!config.ok()) {
      std::printf("  FAILED: %s\n\n", config.status().message().c_str());
      ++failed;
      continue;
    }
    std::printf("  SUCCESS\nFound:\n - global config\n - route\n");
    std::printf(" - %zu inhibit rules\n - %zu receivers\n - %zu templates\n", config->inhibit_rules.size(),
                config->receivers.size(), config->templates.size());
    if (!config->templates.empty()) {
      const Status templates = alertmanager::NotificationTemplates::Load(config->templates).status();
      if (templates.ok()) {
        std::printf("  SUCCESS\n");
      } else {
        std::printf("  FAILED: %s\n", templates.message().c_str());
        ++failed;
      }
    }
    std::printf("\n");
  }
  std::fflush(stdout);
  if (failed > 0) return Fail("failed to validate " + std::to_string(failed) + " file(s)");
  return 0;
}

}  // namespace mytsdb::app
