// The routing tree: options inherited down the tree, the depth-first
// search with `continue`, the tree printed as amtool prints it (outputs of
// `amtool config routes` and `routes test` 0.25 on the same file), and the
// configuration errors with Alertmanager's messages.
#include "alertmanager/route.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace mytsdb::alertmanager {
namespace {

constexpr const char* kTree = R"(
receiver: default
group_by: [alertname]
routes:
  - matchers: ['severity="page"']
    receiver: pager
    continue: true
  - match: {team: db}
    receiver: db
    group_wait: 10s
    routes:
      - match_re: {service: "mysql|pg"}
        receiver: db-sql
        group_by: ['...']
  - matchers: [team=~"front.*", env!="dev"]
    receiver: frontend
)";

std::string Receivers(const Route& root, const model::Labels& labels) {
  std::string out;
  for (const Route* r : root.Match(labels)) out += (out.empty() ? "" : ",") + r->options().receiver;
  return out;
}

TEST(RouteTest, RoutesAsAmtoolRoutes) {
  auto root = Route::FromYaml(YAML::Load(kTree));
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  // amtool config routes test --config.file ... LABELS
  EXPECT_EQ(Receivers(**root, {{"service", "pg"}, {"severity", "page"}, {"team", "db"}}), "pager,db-sql");
  EXPECT_EQ(Receivers(**root, {{"env", "dev"}, {"team", "frontend"}}), "default");
  EXPECT_EQ(Receivers(**root, {{"team", "frontend-x"}}), "frontend");
  EXPECT_EQ(Receivers(**root, {{"team", "db"}}), "db");
  // amtool config routes --config.file ...
  EXPECT_EQ((*root)->TreeString(),
            "Routing tree:\n"
            ".\n"
            "└── default-route  receiver: default\n"
            "    ├── {severity=\"page\"}  continue: true  receiver: pager\n"
            "    ├── {team=\"db\"}  receiver: db\n"
            "    │\u00a0\u00a0 └── {service=~\"^(?:mysql|pg)$\"}  receiver: db-sql\n"
            "    └── {env!=\"dev\",team=~\"front.*\"}  receiver: frontend\n");
}

TEST(RouteTest, ChildrenInheritWhatTheyDoNotSet) {
  auto root = Route::FromYaml(YAML::Load(kTree));
  ASSERT_TRUE(root.ok());
  const Route& db = *(*root)->routes()[1];
  const Route& sql = *db.routes()[0];
  EXPECT_EQ((*root)->options().group_wait_ms, 30'000);
  EXPECT_EQ(db.options().group_wait_ms, 10'000);
  EXPECT_EQ(sql.options().group_wait_ms, 10'000);
  EXPECT_EQ(sql.options().group_interval_ms, 300'000);
  EXPECT_EQ(sql.options().repeat_interval_ms, 4 * 3'600'000);
  EXPECT_EQ(db.options().group_by, (std::set<std::string>{"alertname"}));
  EXPECT_TRUE(sql.options().group_by_all);
}

TEST(RouteTest, ConfigurationErrorsAsAlertmanagerWordsThem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"group_by: [a]", "root route must specify a default receiver"},
      {"receiver: r\nmatch: {a: b}", "root route must not have any matchers"},
      {"receiver: r\ncontinue: true", "cannot have continue in root route"},
      {"receiver: r\nmute_time_intervals: [w]", "root route must not have any mute time intervals"},
      {"receiver: r\ngroup_by: [a, a]", "duplicated label \"a\" in group_by"},
      {"receiver: r\ngroup_by: ['...', a]", "cannot have wildcard group_by (`...`) and other other labels at the same time"},
      {"receiver: r\ngroup_by: ['a-b']", "invalid label name \"a-b\" in group_by list"},
      {"receiver: r\ngroup_interval: 0s", "group_interval cannot be zero"},
      {"receiver: r\nrepeat_interval: 0", "repeat_interval cannot be zero"},
      {"receiver: r\nroutes: [{matchers: ['a']}]", "bad matcher format: a"},
      {"receiver: r\nroutes: [{match_re: {a: '('}}]", "error parsing regexp"},
      {"receiver: r\nroutes: [{recevier: x}]", "field recevier not found"},
  };
  for (const auto& [yaml, want] : cases) {
    auto root = Route::FromYaml(YAML::Load(yaml));
    ASSERT_FALSE(root.ok()) << yaml;
    EXPECT_NE(root.status().message().find(want), std::string::npos) << yaml << ": " << root.status().message();
  }
}

}  // namespace
}  // namespace mytsdb::alertmanager
