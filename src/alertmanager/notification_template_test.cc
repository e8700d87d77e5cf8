// Notification templates: the data Alertmanager gives them (KV methods,
// .Alerts.Firing/.Resolved, times), the default subject and Slack title
// as Alertmanager words them, HTML escaping for email bodies, and user
// templates calling the defined ones.
#include "alertmanager/notification_template.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace mytsdb::alertmanager {
namespace {

NotificationData Data(bool resolve_one = false) {
  std::vector<Alert> alerts(2);
  alerts[0].labels = model::Labels{{"alertname", "Disk"}, {"instance", "a"}, {"job", "node"}, {"severity", "page"}};
  alerts[1].labels = model::Labels{{"alertname", "Disk"}, {"instance", "b"}, {"job", "node"}, {"severity", "page"}};
  for (Alert& a : alerts) {
    a.annotations = {{"summary", "<disk> full"}};
    a.starts_at = absl::FromUnixSeconds(1'700'000'000);
    a.generator_url = "http://prom/graph";
  }
  if (resolve_one) alerts[1].ends_at = absl::FromUnixSeconds(1'700'000'100);
  return MakeNotificationData("team.x", model::Labels{{"alertname", "Disk"}}, alerts,
                              absl::FromUnixSeconds(1'700'000'200), "http://am.example");
}

TEST(NotificationTemplateTest, DefaultSubjectAndSlackTexts) {
  auto t = NotificationTemplates::Load({});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const tmpl::Value data = TemplateData(Data());
  auto run = [&](std::string_view text) {
    auto out = (*t)->Execute(text, data);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : "";
  };
  EXPECT_EQ(run("{{ template \"email.default.subject\" . }}"), "[FIRING:2] Disk (node page)");
  EXPECT_EQ(run("{{ template \"slack.default.title\" . }}"), "[FIRING:2] Disk (node page)");
  EXPECT_EQ(run("{{ template \"slack.default.titlelink\" . }}"), "http://am.example/#/alerts?receiver=team%5C.x");
  EXPECT_EQ(run("{{ template \"slack.default.username\" . }}"), "Alertmanager");
  EXPECT_EQ(run("{{ template \"slack.default.text\" . }}"), "");
  // The data's methods.
  EXPECT_EQ(run("{{ range .Alerts }}{{ .Labels.instance }}:{{ .Status }} {{ end }}"), "a:firing b:firing ");
  EXPECT_EQ(run("{{ .CommonLabels.SortedPairs.Names }}"), "[alertname job severity]");
  EXPECT_EQ(run("{{ (.CommonLabels.Remove (stringSlice \"job\")).Values }}"), "[Disk page]");
  EXPECT_EQ(run("{{ (index .Alerts 0).StartsAt }}"), "2023-11-14 22:13:20 +0000 UTC");
  EXPECT_EQ(run("{{ .Receiver }} {{ .CommonAnnotations.summary }} {{ .GroupLabels.missing }}."),
            "team\\.x <disk> full .");

  const tmpl::Value partly = TemplateData(Data(/*resolve_one=*/true));
  auto subject = (*t)->Execute("{{ template \"email.default.subject\" . }}", partly);
  EXPECT_EQ(*subject, "[FIRING:1] Disk (node page)");
  EXPECT_EQ(*(*t)->Execute("{{ len .Alerts.Resolved }}/{{ len .Alerts.Firing }}", partly), "1/1");
}

TEST(NotificationTemplateTest, HtmlEscapesValuesButNotSafeHtml) {
  auto t = NotificationTemplates::Load({});
  ASSERT_TRUE(t.ok());
  const tmpl::Value data = TemplateData(Data());
  EXPECT_EQ(*(*t)->Execute("<b>{{ .CommonAnnotations.summary }}</b>{{ \"<i>\" | safeHtml }}", data, true),
            "<b>&lt;disk&gt; full</b><i>");
  auto html = (*t)->Execute("{{ template \"email.default.html\" . }}", data, true);
  ASSERT_TRUE(html.ok()) << html.status().ToString();
  EXPECT_NE(html->find("&lt;disk&gt; full"), std::string::npos);
  EXPECT_NE(html->find("2 firing, 0 resolved: Disk"), std::string::npos);
  EXPECT_EQ(html->find("<disk>"), std::string::npos);
}

TEST(NotificationTemplateTest, UserTemplatesFromGlobs) {
  const auto dir = std::filesystem::temp_directory_path() / ("am_tmpl_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.tmpl") << "{{ define \"my.title\" }}{{ .Status | title }}: {{ template \"__subject\" . }}{{ end }}";
  auto t = NotificationTemplates::Load({(dir / "*.tmpl").string(), (dir / "none/*.tmpl").string()});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*(*t)->Execute("{{ template \"my.title\" . }}", TemplateData(Data())), "Firing: [FIRING:2] Disk (node page)");
  std::ofstream(dir / "b.tmpl") << "{{ define \"broken\" }}{{ .Foo }{{ end }}";
  EXPECT_FALSE(NotificationTemplates::Load({(dir / "*.tmpl").string()}).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mytsdb::alertmanager
