// The in-memory id of a series of the cold tier: numbered densely in the
// order first seen, handed out by the catalog (series_catalog.h) as files
// are loaded; never written to disk.
#pragma once

#include <cstdint>

namespace mytsdb::cold {

using ColdSeriesId = uint32_t;

}  // namespace mytsdb::cold
