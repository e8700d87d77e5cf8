// Notification templates (template.Template of Alertmanager 0.25): the
// data a template sees (.Receiver, .Status, .Alerts with .Firing and
// .Resolved, .GroupLabels, .CommonLabels, .CommonAnnotations with
// .SortedPairs, .Names, .Values and .Remove, .ExternalURL), MyTSDB's
// default templates (the names Alertmanager's configuration defaults
// refer to: email.default.subject, email.default.html, slack.default.*),
// written here so that subjects and Slack titles read as Alertmanager's,
// and the files of the configuration's `templates`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alertmanager/notification_data.h"
#include "common/result.h"
#include "template/template.h"

namespace mytsdb::alertmanager {

class NotificationTemplates {
 public:
  // The default templates, then every file the globs name (a glob that
  // names nothing is not an error, as in Alertmanager).
  static Result<std::shared_ptr<const NotificationTemplates>> Load(const std::vector<std::string>& globs);

  // Runs `text` (an integration's field, itself a template that may call
  // the defined ones) on `data`; empty text gives "". `html` escapes what
  // actions print, as html/template does for email bodies.
  Result<std::string> Execute(std::string_view text, const tmpl::Value& data, bool html = false) const;

 private:
  explicit NotificationTemplates(tmpl::Template set) : set_(std::move(set)) {}
  tmpl::Template set_;
};

// The data of a notification, as templates see it.
tmpl::Value TemplateData(const NotificationData& data);

// MyTSDB's default templates (their text).
std::string_view DefaultTemplates();

}  // namespace mytsdb::alertmanager
