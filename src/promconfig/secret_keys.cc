#include "promconfig/secret_keys.h"

#include <algorithm>
#include <array>

namespace mytsdb::promconfig {

bool IsSecretKey(std::string_view key) {
  static constexpr std::array<std::string_view, 22> kSecrets = {
      "password",          "credentials",       "bearer_token",       "smtp_auth_password",
      "smtp_auth_secret",  "auth_password",     "auth_secret",        "slack_api_url",
      "api_url",           "opsgenie_api_key",  "victorops_api_key",  "wechat_api_secret",
      "api_key",           "routing_key",       "service_key",        "token",
      "bot_token",         "user_key",          "api_secret",         "client_secret",
      "secret_access_key", "webhook_url",
  };
  return std::find(kSecrets.begin(), kSecrets.end(), key) != kSecrets.end();
}

}  // namespace mytsdb::promconfig
