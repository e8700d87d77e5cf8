// What the PostgreSQL session makes of a statement's text before any runs:
// splitting a simple query, telling the statements it answers itself
// (SET, SHOW, transactions, version(), a driver's type lookup) from the
// queries DuckDB runs, typing the parameters a client declared, and the
// SQLSTATE of an engine error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mytsdb::pgwire {

inline constexpr const char* kServerVersion = "14.0";

// The statements of a simple query, split at semicolons outside quotes,
// comments and dollar quotes (one empty statement for an empty query).
std::vector<std::string> SplitStatements(std::string_view text);

// What a statement is to the session.
struct Command {
  enum Kind { kEmpty, kSet, kShow, kTransaction, kVersion, kTypeLookup, kQuery } kind = kQuery;
  std::string tag;      // CommandComplete's for kSet, kTransaction
  std::string setting;  // kSet, kShow: lower-cased name
};
Command Classify(std::string_view statement);

// Settings drivers and tools set on connect, accepted as no-ops.
bool IsHarmlessSetting(const std::string& name);
// SHOW's answer for a setting, or nullopt if unknown.
std::optional<std::string> ShowValue(const std::string& setting, const std::string& user,
                                     const std::string& application);

// The query with each $n whose type the client declared (OIDs) written as
// ($n::TYPE), quotes and comments left alone.
std::string TypeParameters(const std::string& query, const std::vector<int32_t>& oids);
// A binary parameter of a scalar type, as text; InvalidArgument otherwise.
Result<std::string> BinaryParameterToText(int32_t type_oid, std::string_view bytes);
// The OID to describe a parameter of DuckDB's type with.
int32_t ParameterOid(const std::string& duckdb_type);

// The SQLSTATE of an error of the SQL engine, and the 1-based character
// position of a parse error.
std::string SqlState(const Status& st);
std::optional<int> Position(const Status& st);

}  // namespace mytsdb::pgwire
