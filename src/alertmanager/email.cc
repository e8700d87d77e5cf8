// The email integration (notify/email of Alertmanager 0.25): a
// multipart/alternative message (a text part when `text` is set, an HTML
// part when `html` is, both quoted-printable), headers rendered from
// templates (Subject, To and From by default), sent over SMTP
// (smtp_client.h).
#include <absl/time/clock.h>
#include <unistd.h>

#include <random>
#include <tuple>

#include "alertmanager/http_client.h"
#include "alertmanager/integration.h"
#include "alertmanager/notification_data.h"
#include "alertmanager/notification_template.h"
#include "alertmanager/smtp_client.h"

namespace mytsdb::alertmanager {

namespace {

// RFC 2045 quoted-printable, as Go's mime/quotedprintable writes it:
// "\n" ends a line as CRLF, lines are broken at 76 characters.
std::string QuotedPrintable(std::string_view s) {
  std::string out, line;
  auto flush_line = [&](bool hard) {
    // A space or tab before a line end is encoded.
    if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
      const char c = line.back();
      line.pop_back();
      line += c == ' ' ? "=20" : "=09";
    }
    out += line;
    out += hard ? "\r\n" : "=\r\n";
    line.clear();
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      flush_line(true);
      continue;
    }
    if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    std::string piece;
    if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      piece = std::string(1, static_cast<char>(c));
    } else {
      static const char* hex = "0123456789ABCDEF";
      piece = {'=', hex[c >> 4], hex[c & 15]};
    }
    if (line.size() + piece.size() > 75) flush_line(false);
    line += piece;
  }
  if (!line.empty()) out += line;
  return out;
}

// mime.QEncoding.Encode("utf-8", s): unchanged when plain ASCII.
std::string QEncode(std::string_view s) {
  bool plain = true;
  for (unsigned char c : s) plain = plain && c >= 0x20 && c < 0x7f;
  if (plain) return std::string(s);
  std::string out = "=?utf-8?q?";
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (c == ' ') {
      out += '_';
    } else if (c > 0x20 && c < 0x7f && c != '=' && c != '?' && c != '_') {
      out += static_cast<char>(c);
    } else {
      out += {'=', hex[c >> 4], hex[c & 15]};
    }
  }
  return out + "?=";
}

// The addresses of a list ("A <a@x>, b@y" -> a@x, b@y), as
// mail.ParseAddressList gives them.
Result<std::vector<std::string>> Addresses(std::string_view list, const char* what) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  int angle = 0;
  auto finish = [&]() -> Status {
    std::string s = current;
    current.clear();
    const size_t open = s.rfind('<');
    if (open != std::string::npos) {
      const size_t close = s.find('>', open);
      if (close == std::string::npos) return Status::InvalidArgument(std::string("parse '") + what + "' addresses: mail: unclosed angle-addr");
      s = s.substr(open + 1, close - open - 1);
    }
    while (!s.empty() && s.front() == ' ') s.erase(0, 1);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (s.empty() || s.find('@') == std::string::npos) {
      return Status::InvalidArgument(std::string("parse '") + what + "' addresses: mail: missing '@' or angle-addr");
    }
    out.push_back(s);
    return Status::OK();
  };
  for (char c : list) {
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '<') ++angle;
    if (!quoted && c == '>') --angle;
    if (c == ',' && !quoted && angle == 0) {
      RETURN_NOT_OK(finish());
      continue;
    }
    current += c;
  }
  RETURN_NOT_OK(finish());
  return out;
}

std::string Hostname() {
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  return host;
}

class Email final : public Integration {
 public:
  Email(EmailConfig config, std::shared_ptr<const NotificationTemplates> templates)
      : config_(std::move(config)), templates_(std::move(templates)) {
    // Subject, To and From are headers like the others, defaulted.
    config_.headers.try_emplace("Subject", "{{ template \"email.default.subject\" . }}");
    config_.headers.try_emplace("To", config_.to);
    config_.headers.try_emplace("From", config_.from);
  }
  const char* name() const override { return "email"; }
  bool send_resolved() const override { return config_.send_resolved; }

  Status Notify(const NotifyRequest& request, bool* retry) override {
    *retry = false;
    const NotificationData data =
        MakeNotificationData(request.receiver, request.group_labels, request.alerts, request.now, request.external_url);
    const tmpl::Value value = TemplateData(data);
    ASSIGN_OR_RETURN(std::string from, templates_->Execute(config_.from, value));
    ASSIGN_OR_RETURN(std::string to, templates_->Execute(config_.to, value));
    ASSIGN_OR_RETURN(std::vector<std::string> from_addresses, Addresses(from, "from"));
    ASSIGN_OR_RETURN(std::vector<std::string> recipients, Addresses(to, "to"));

    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string message;
    for (const auto& [header, text] : config_.headers) {
      auto v = templates_->Execute(text, value);
      if (!v.ok()) return v.status().WithContext("execute " + header + " header template");
      message += header + ": " + QEncode(*v) + "\r\n";
    }
    if (!config_.headers.count("Message-Id")) {
      message += "Message-Id: <" + std::to_string(absl::ToUnixNanos(absl::Now())) + "." + std::to_string(rng()) +
                 "@" + Hostname() + ">\r\n";
    }
    const std::string boundary = [] {
      std::string b;
      static const char* hex = "0123456789abcdef";
      for (int i = 0; i < 60; ++i) b += hex[rng() & 15];
      return b;
    }();
    message += "Date: " + absl::FormatTime("%a, %d %b %Y %H:%M:%S %z", absl::Now(), absl::LocalTimeZone()) + "\r\n";
    message += "Content-Type: multipart/alternative;  boundary=" + boundary + "\r\n";
    message += "MIME-Version: 1.0\r\n\r\n";
    for (const auto& [type, text, html] : {std::tuple{"text/plain", &config_.text, false},
                                           std::tuple{"text/html", &config_.html, true}}) {
      if (text->empty()) continue;
      ASSIGN_OR_RETURN(std::string body, templates_->Execute(*text, value, html));
      message += "--" + boundary + "\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: " +
                 std::string(type) + "; charset=UTF-8\r\n\r\n" + QuotedPrintable(body) + "\r\n";
    }
    message += "--" + boundary + "--\r\n";

    SmtpOptions smtp;
    smtp.host = config_.smarthost_host;
    smtp.port = config_.smarthost_port;
    smtp.hello = config_.hello;
    smtp.require_tls = config_.require_tls;
    smtp.tls = config_.tls;
    smtp.username = config_.auth_username;
    smtp.password = config_.auth_password;
    if (!config_.auth_password_file.empty()) {
      ASSIGN_OR_RETURN(smtp.password, ReadSecretFile(config_.auth_password_file));
    }
    smtp.secret = config_.auth_secret;
    smtp.identity = config_.auth_identity;
    smtp.timeout = request.timeout;
    return SendMail(smtp, from_addresses[0], recipients, message, retry);
  }

 private:
  EmailConfig config_;
  const std::shared_ptr<const NotificationTemplates> templates_;
};

}  // namespace

std::unique_ptr<Integration> MakeEmail(EmailConfig config, std::shared_ptr<const NotificationTemplates> templates) {
  return std::make_unique<Email>(std::move(config), std::move(templates));
}

}  // namespace mytsdb::alertmanager
