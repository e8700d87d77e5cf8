#include "pgwire/statements.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <set>

#include "duckdb.hpp"
#include "pgwire/types.h"

namespace mytsdb::pgwire {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) || s.front() == ';')) s.remove_prefix(1);
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == ';')) s.remove_suffix(1);
  return s;
}

}  // namespace

// The statements of a simple query, split at semicolons outside quotes,
// comments and dollar quotes.
std::vector<std::string> SplitStatements(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0, i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\'' || c == '"') {
      const size_t end = text.find(c, i + 1);
      i = end == std::string_view::npos ? text.size() : end + 1;
    } else if (text.substr(i, 2) == "--") {
      const size_t end = text.find('\n', i);
      i = end == std::string_view::npos ? text.size() : end + 1;
    } else if (text.substr(i, 2) == "/*") {
      const size_t end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 2;
    } else if (text.substr(i, 2) == "$$") {
      const size_t end = text.find("$$", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 2;
    } else if (c == ';') {
      out.emplace_back(Trim(text.substr(start, i - start)));
      start = ++i;
    } else {
      ++i;
    }
  }
  std::string last(Trim(text.substr(start)));
  if (!last.empty() || out.empty()) out.push_back(std::move(last));
  // Statements that are only whitespace between semicolons are dropped.
  std::vector<std::string> kept;
  for (std::string& s : out) {
    if (!s.empty() || out.size() == 1) kept.push_back(std::move(s));
  }
  return kept;
}

// Settings drivers and tools set on connect; accepted, and changing
// nothing (MyTSDB answers in UTC, UTF-8, ISO dates, full float precision).
static const std::set<std::string>& HarmlessSettings() {
  static const std::set<std::string> names = {
      "extra_float_digits", "application_name", "datestyle", "timezone", "time zone",
      "client_encoding", "names", "search_path", "statement_timeout", "lock_timeout",
      "idle_in_transaction_session_timeout", "standard_conforming_strings", "intervalstyle",
      "client_min_messages", "bytea_output", "lc_messages", "lc_monetary", "lc_numeric",
      "lc_time", "jit", "session characteristics", "transaction", "default_transaction_read_only",
      "default_transaction_isolation", "transaction_isolation", "geqo", "join_collapse_limit",
      "escape_string_warning", "synchronize_seqscans", "row_security", "timezone_abbreviations"};
  return names;
}

std::optional<std::string> ShowValue(const std::string& setting, const std::string& user,
                                     const std::string& application) {
  if (setting == "server_version") return std::string(kServerVersion);
  if (setting == "server_version_num") return std::string("140000");
  if (setting == "server_encoding" || setting == "client_encoding") return std::string("UTF8");
  if (setting == "datestyle") return std::string("ISO, MDY");
  if (setting == "timezone" || setting == "time zone") return std::string("UTC");
  if (setting == "integer_datetimes" || setting == "standard_conforming_strings") return std::string("on");
  if (setting == "intervalstyle") return std::string("postgres");
  if (setting == "transaction_isolation" || setting == "transaction isolation level" ||
      setting == "default_transaction_isolation") {
    return std::string("read committed");
  }
  if (setting == "transaction_read_only" || setting == "default_transaction_read_only") return std::string("on");
  if (setting == "max_identifier_length") return std::string("63");
  if (setting == "search_path") return std::string("\"$user\", public");
  if (setting == "extra_float_digits") return std::string("3");
  if (setting == "application_name") return application;
  if (setting == "session_authorization") return user;
  if (setting == "is_superuser") return std::string("off");
  if (setting == "lc_collate" || setting == "lc_ctype") return std::string("C.UTF-8");
  return std::nullopt;
}

Command Classify(std::string_view statement) {
  Command c;
  const std::string text = duckdb::StringUtil::Lower(std::string(Trim(statement)));
  if (text.empty()) {
    c.kind = Command::kEmpty;
    return c;
  }
  std::string word;
  size_t i = 0;
  while (i < text.size() && (std::isalpha(static_cast<unsigned char>(text[i])) || text[i] == '_')) word += text[i++];
  auto rest = [&] { return std::string(Trim(std::string_view(text).substr(i))); };
  if (word == "set" || word == "reset") {
    c.kind = Command::kSet;
    c.tag = word == "set" ? "SET" : "RESET";
    std::string r = rest();
    for (const char* scope : {"session ", "local "}) {
      if (r.rfind(scope, 0) == 0 && r.rfind("session characteristics", 0) != 0) r = r.substr(std::strlen(scope));
    }
    size_t end = r.find_first_of(" =\t");
    c.setting = r.substr(0, end);
    if (r.rfind("session characteristics", 0) == 0) c.setting = "session characteristics";
    if (r.rfind("time zone", 0) == 0) c.setting = "time zone";
    return c;
  }
  if (word == "show") {
    c.kind = Command::kShow;
    c.setting = rest();
    return c;
  }
  if (word == "begin" || word == "start") {
    c.kind = Command::kTransaction;
    c.tag = word == "begin" ? "BEGIN" : "START TRANSACTION";
    return c;
  }
  if (word == "commit" || word == "end") {
    c.kind = Command::kTransaction;
    c.tag = "COMMIT";
    return c;
  }
  if (word == "rollback" || word == "abort") {
    c.kind = Command::kTransaction;
    // ROLLBACK TO SAVEPOINT stays in the transaction.
    c.tag = rest().rfind("to", 0) == 0 ? "ROLLBACK TO" : "ROLLBACK";
    return c;
  }
  if (word == "savepoint" || word == "release") {
    c.kind = Command::kTransaction;
    c.tag = word == "savepoint" ? "SAVEPOINT" : "RELEASE";
    return c;
  }
  if (word == "discard") {
    c.kind = Command::kTransaction;
    c.tag = "DISCARD ALL";
    return c;
  }
  if (word == "deallocate") {
    c.kind = Command::kTransaction;
    c.tag = "DEALLOCATE";
    return c;
  }
  std::string compact;
  for (char ch : text) {
    if (!std::isspace(static_cast<unsigned char>(ch))) compact += ch;
  }
  if (compact == "selectversion()" || compact == "selectpg_catalog.version()") c.kind = Command::kVersion;
  // psycopg's TypeInfo.fetch (SQLAlchemy runs it on connect, for hstore):
  // MyTSDB has no such types, so the lookup finds none.
  if (compact.find("frompg_typet") != std::string::npos && compact.find("to_regtype(") != std::string::npos) {
    c.kind = Command::kTypeLookup;
  }
  return c;
}

// A Status of the SQL engine as a SQLSTATE.
std::string SqlState(const Status& st) {
  const std::string& m = st.message();
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
      if (m.find("Parser Error") != std::string::npos) return "42601";
      if (m.find("Table with name") != std::string::npos || m.find("Table Function with name") != std::string::npos) {
        return "42P01";
      }
      if (m.find("Referenced column") != std::string::npos) return "42703";
      if (m.find("only SELECT statements") != std::string::npos ||
          m.find("Permission Error") != std::string::npos || m.find("cannot be changed") != std::string::npos) {
        return "42501";
      }
      if (m.find("unrecognized configuration parameter") != std::string::npos) return "42704";
      return "42000";
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kCancelled: return "57014";
    case StatusCode::kResourceExhausted: return "53200";
    case StatusCode::kOutOfRange: return "22000";
    default: return "XX000";
  }
}

// "SQL: at character 14: ..." gives position 15 (PostgreSQL counts from 1).
std::optional<int> Position(const Status& st) {
  const std::string prefix = "SQL: at character ";
  if (st.message().rfind(prefix, 0) != 0) return std::nullopt;
  return std::atoi(st.message().c_str() + prefix.size()) + 1;
}

int32_t ParameterOid(const std::string& duckdb_type) {
  if (duckdb_type == "UNKNOWN") return oid::kUnknown;
  try {
    return PgTypeOf(duckdb::TransformStringToLogicalType(duckdb_type)).oid;
  } catch (const std::exception&) {
    return oid::kText;
  }
}

// DuckDB's name for a parameter type a client declared (0: none).
static const char* DuckDbTypeOf(int32_t type_oid) {
  switch (type_oid) {
    case oid::kBool: return "BOOLEAN";
    case oid::kInt2: return "SMALLINT";
    case oid::kInt4: return "INTEGER";
    case oid::kInt8: return "BIGINT";
    case oid::kFloat4: return "FLOAT";
    case oid::kFloat8: return "DOUBLE";
    case oid::kNumeric: return "DOUBLE";
    case oid::kText:
    case oid::kVarchar: return "VARCHAR";
    case oid::kDate: return "DATE";
    case oid::kTimestamp: return "TIMESTAMP";
    case oid::kTimestamptz: return "TIMESTAMPTZ";
    case oid::kInterval: return "INTERVAL";
    default: return nullptr;
  }
}

// The query with each $n whose type the client declared written as
// ($n::TYPE), so that DuckDB knows it where the query alone does not tell
// (`SELECT 41 + $1`). Quotes, comments and dollar quotes are left alone.
std::string TypeParameters(const std::string& query, const std::vector<int32_t>& oids) {
  if (oids.empty()) return query;
  std::string out;
  size_t i = 0;
  auto identifier_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < query.size()) {
    const char c = query[i];
    size_t skip_to = i;
    if (c == '\'' || c == '"') {
      const size_t end = query.find(c, i + 1);
      skip_to = end == std::string::npos ? query.size() : end + 1;
    } else if (query.compare(i, 2, "--") == 0) {
      const size_t end = query.find('\n', i);
      skip_to = end == std::string::npos ? query.size() : end + 1;
    } else if (query.compare(i, 2, "/*") == 0) {
      const size_t end = query.find("*/", i + 2);
      skip_to = end == std::string::npos ? query.size() : end + 2;
    } else if (query.compare(i, 2, "$$") == 0) {
      const size_t end = query.find("$$", i + 2);
      skip_to = end == std::string::npos ? query.size() : end + 2;
    } else if (c == '$' && i + 1 < query.size() && std::isdigit(static_cast<unsigned char>(query[i + 1])) &&
               (i == 0 || !identifier_char(query[i - 1]))) {
      size_t end = i + 1;
      while (end < query.size() && std::isdigit(static_cast<unsigned char>(query[end]))) ++end;
      const int n = std::atoi(query.c_str() + i + 1);
      const char* type = n >= 1 && static_cast<size_t>(n) <= oids.size() ? DuckDbTypeOf(oids[n - 1]) : nullptr;
      if (type != nullptr) {
        out += "(" + query.substr(i, end - i) + "::" + type + ")";
      } else {
        out += query.substr(i, end - i);
      }
      i = end;
      continue;
    }
    if (skip_to > i) {
      out += query.substr(i, skip_to - i);
      i = skip_to;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

// A binary parameter of a type drivers send in binary, as text.
Result<std::string> BinaryParameterToText(int32_t type_oid, std::string_view bytes) {
  auto be = [&](size_t n) {
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v = (v << 8) | static_cast<unsigned char>(bytes[k]);
    return v;
  };
  switch (type_oid) {
    case oid::kBool:
      if (bytes.size() == 1) return std::string(bytes[0] ? "true" : "false");
      break;
    case oid::kInt2:
      if (bytes.size() == 2) return std::to_string(static_cast<int16_t>(be(2)));
      break;
    case oid::kInt4:
      if (bytes.size() == 4) return std::to_string(static_cast<int32_t>(be(4)));
      break;
    case oid::kInt8:
      if (bytes.size() == 8) return std::to_string(static_cast<int64_t>(be(8)));
      break;
    case oid::kFloat4:
      if (bytes.size() == 4) {
        uint32_t u = static_cast<uint32_t>(be(4));
        float f;
        std::memcpy(&f, &u, 4);
        return duckdb::Value::FLOAT(f).ToString();
      }
      break;
    case oid::kFloat8:
      if (bytes.size() == 8) {
        uint64_t u = be(8);
        double d;
        std::memcpy(&d, &u, 8);
        return duckdb::Value::DOUBLE(d).ToString();
      }
      break;
    case oid::kText:
    case oid::kVarchar:
    case oid::kUnknown: return std::string(bytes);
    default: break;
  }
  return Status::InvalidArgument("binary parameters of type " + std::to_string(type_oid) +
                                 " are not supported: send them as text");
}

bool IsHarmlessSetting(const std::string& name) { return HarmlessSettings().count(name) > 0; }

}  // namespace mytsdb::pgwire
