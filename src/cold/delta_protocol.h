// What of the Delta protocol MyTSDB implements, and the checks that refuse
// a table using more (so that MyTSDB never misreads another writer's table,
// nor writes to it in a way that breaks a feature it does not know).
//
// Implemented: reader version 1, writer version 2 (or 3 / 7 with empty
// feature lists, or writer features "appendOnly" and "invariants" while not
// in use). Refused: deletion vectors, column mapping, change data feed,
// check constraints, generated or identity columns, v2 checkpoints, and any
// feature not named here; append-only tables (compaction and retention
// remove files); `add` paths outside the table directory.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mytsdb::cold {

struct ProtocolAction {
  int min_reader_version = 1;
  int min_writer_version = 2;
  std::vector<std::string> reader_features;
  std::vector<std::string> writer_features;
};

// Unimplemented naming what the table needs, if MyTSDB cannot honour it.
Status CheckProtocol(const ProtocolAction& protocol);
// Unimplemented if a table property asks for behaviour MyTSDB lacks
// (delta.appendOnly, change data feed, check constraints).
Status CheckConfiguration(const std::map<std::string, std::string>& configuration);
// Unimplemented if the schema uses column invariants or generated columns.
Status CheckSchemaString(std::string_view schema_string);

// The table-relative file path of an add/remove action's `path` (a URI
// reference, percent-encoded): decoded, and InvalidArgument unless it is a
// relative path that stays inside the table (no scheme, no leading '/', no
// '..' or '.' component, no empty component).
Result<std::string> DecodeActionPath(std::string_view raw);

}  // namespace mytsdb::cold
