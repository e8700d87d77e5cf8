// A small SMTP client for the email integration, following what
// Alertmanager 0.25 does with Go's net/smtp: implicit TLS on port 465,
// otherwise STARTTLS when require_tls (refusing a server that does not
// offer it), AUTH with CRAM-MD5 (when a secret is set), PLAIN or LOGIN
// when a username is set and the server offers them (PLAIN only over TLS
// or to localhost), then MAIL FROM, RCPT TO each recipient and DATA.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "alertmanager/receiver_config.h"
#include "common/status.h"

namespace mytsdb::alertmanager {

struct SmtpOptions {
  std::string host;
  std::string port;
  std::string hello = "localhost";
  bool require_tls = true;
  TlsConfig tls;
  std::string username, password, secret, identity;
  std::chrono::milliseconds timeout{30'000};
};

// Sends `message` (headers and body, CRLF line ends) from `from` to `to`.
// On an error, *retry says whether it was the server's or the network's
// (worth retrying) rather than the configuration's.
Status SendMail(const SmtpOptions& options, const std::string& from, const std::vector<std::string>& to,
                const std::string& message, bool* retry);

}  // namespace mytsdb::alertmanager
