// The configuration keys whose values are secrets (Prometheus's and
// Alertmanager's Secret and SecretURL fields, and MyTSDB's own), shown as
// <secret> wherever a configuration is echoed back: /api/v1/status/config
// and the built-in Alertmanager's /api/v2/status.
#pragma once

#include <string_view>

namespace mytsdb::promconfig {

bool IsSecretKey(std::string_view key);

}  // namespace mytsdb::promconfig
