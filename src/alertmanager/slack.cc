// The Slack integration (notify/slack of Alertmanager 0.25): one message
// with one attachment to an incoming webhook, every text field a template.
#include "alertmanager/http_client.h"
#include "alertmanager/json_writer.h"
#include "alertmanager/integration.h"
#include "alertmanager/notification_data.h"
#include "alertmanager/notification_template.h"

namespace mytsdb::alertmanager {

namespace {

class Slack final : public Integration {
 public:
  Slack(SlackConfig config, std::shared_ptr<const NotificationTemplates> templates)
      : config_(std::move(config)), templates_(std::move(templates)) {}
  const char* name() const override { return "slack"; }
  bool send_resolved() const override { return config_.send_resolved; }

  Status Notify(const NotifyRequest& request, bool* retry) override {
    const NotificationData data =
        MakeNotificationData(request.receiver, request.group_labels, request.alerts, request.now, request.external_url);
    const tmpl::Value value = TemplateData(data);
    // Every field is rendered; the first error fails the notification.
    Status error;
    auto text = [&](const std::string& t) {
      if (!error.ok()) return std::string();
      auto out = templates_->Execute(t, value);
      if (!out.ok()) {
        error = out.status();
        return std::string();
      }
      return *out;
    };
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    auto str = [&w](std::string_view s) { WriteJsonString(&w, s); };
    auto optional = [&](const char* key, const std::string& v) {
      if (v.empty()) return;
      w.Key(key);
      str(v);
    };
    w.StartObject();
    optional("channel", text(config_.channel));
    optional("username", text(config_.username));
    optional("icon_emoji", text(config_.icon_emoji));
    optional("icon_url", text(config_.icon_url));
    if (config_.link_names) {
      w.Key("link_names");
      w.Bool(true);
    }
    w.Key("attachments");
    w.StartArray();
    w.StartObject();
    optional("title", text(config_.title));
    optional("title_link", text(config_.title_link));
    optional("pretext", text(config_.pretext));
    w.Key("text");
    str(text(config_.text));
    w.Key("fallback");
    str(text(config_.fallback));
    w.Key("callback_id");
    str(text(config_.callback_id));
    if (!config_.fields.empty()) {
      w.Key("fields");
      w.StartArray();
      for (const SlackField& f : config_.fields) {
        w.StartObject();
        w.Key("title");
        str(text(f.title));
        w.Key("value");
        str(text(f.value));
        w.Key("short");
        w.Bool(f.short_field.value_or(config_.short_fields));
        w.EndObject();
      }
      w.EndArray();
    }
    if (!config_.actions.empty()) {
      w.Key("actions");
      w.StartArray();
      for (const SlackAction& a : config_.actions) {
        w.StartObject();
        optional("type", text(a.type));
        optional("text", text(a.text));
        optional("url", text(a.url));
        optional("style", text(a.style));
        optional("name", text(a.name));
        optional("value", text(a.value));
        w.EndObject();
      }
      w.EndArray();
    }
    optional("image_url", text(config_.image_url));
    optional("thumb_url", text(config_.thumb_url));
    w.Key("footer");
    str(text(config_.footer));
    optional("color", text(config_.color));
    w.Key("mrkdwn_in");
    w.StartArray();
    for (const std::string& m : config_.mrkdwn_in.empty() ? std::vector<std::string>{"fallback", "pretext", "text"}
                                                          : config_.mrkdwn_in) {
      str(m);
    }
    w.EndArray();
    w.EndObject();
    w.EndArray();
    w.EndObject();
    if (!error.ok()) {
      *retry = false;
      return error;
    }
    std::string url = config_.api_url;
    if (url.empty()) {
      auto from_file = ReadSecretFile(config_.api_url_file);
      if (!from_file.ok() || from_file->empty()) {
        *retry = false;
        return Status::IOError("reading " + config_.api_url_file + ": no Slack URL");
      }
      url = *from_file;
    }
    auto reply = PostJson(url, config_.http, std::string_view(buf.GetString(), buf.GetSize()), request.timeout);
    if (!reply.ok()) {
      *retry = true;
      return reply.status();
    }
    if (reply->status / 100 == 2) return Status::OK();
    *retry = reply->status / 100 == 5;
    return Status::Unavailable("unexpected status code " + std::to_string(reply->status) +
                               (reply->body.empty() ? "" : ": " + reply->body.substr(0, 1024)));
  }

 private:
  const SlackConfig config_;
  const std::shared_ptr<const NotificationTemplates> templates_;
};

}  // namespace

std::unique_ptr<Integration> MakeSlack(SlackConfig config, std::shared_ptr<const NotificationTemplates> templates) {
  return std::make_unique<Slack>(std::move(config), std::move(templates));
}

}  // namespace mytsdb::alertmanager
