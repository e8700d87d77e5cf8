// The flags of `mytsdb serve` with their effective values (defaults, then
// the configuration file, then the command line), for
// /api/v1/status/flags. Durations and sizes are written as the flags take
// them ("15d", "128MiB"); secrets are given by file, so none appears.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config.h"

namespace mytsdb::app {

// A size in the largest binary unit that divides it ("128MiB", "0B"), as
// ParseBytes reads it back.
std::string FormatBytes(uint64_t bytes);

// One entry per flag of `mytsdb serve` (without its dashes), in the order
// of `mytsdb serve --help`'s groups; `config_file` is --config's value.
std::vector<std::pair<std::string, std::string>> EffectiveFlags(const Config& config,
                                                                 const std::string& config_file);

// The configuration file's text for /api/v1/status/config with the value of
// every key promconfig::IsSecretKey names (password, secret_access_key,
// bearer_token, credentials, client_secret, api_key, ...) replaced by
// <secret>, as
// Prometheus shows its Secret fields. Line by line, so comments and layout
// stay as written.
std::string RedactSecrets(const std::string& config_text);

}  // namespace mytsdb::app
