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

}  // namespace mytsdb::app
