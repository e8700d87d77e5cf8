#include "pgwire/session.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "duckdb.hpp"
#include "pgwire/protocol.h"
#include "pgwire/types.h"
#include "sql/engine.h"

namespace mytsdb::pgwire {

// ---- CancelRegistry ---------------------------------------------------------------

std::pair<int32_t, int32_t> CancelRegistry::Register(std::shared_ptr<std::atomic<bool>> flag) {
  static thread_local std::mt19937 random{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu_);
  const int32_t id = next_id_++;
  const int32_t secret = static_cast<int32_t>(random());
  sessions_[id] = {secret, std::move(flag)};
  return {id, secret};
}

void CancelRegistry::Unregister(int32_t process_id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(process_id);
}

bool CancelRegistry::Cancel(int32_t process_id, int32_t secret) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(process_id);
  if (it == sessions_.end() || it->second.first != secret) return false;
  it->second.second->store(true);
  return true;
}

namespace {

constexpr const char* kServerVersion = "14.0";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) || s.front() == ';')) s.remove_prefix(1);
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == ';')) s.remove_suffix(1);
  return s;
}

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

// What a statement is to the session.
struct Command {
  enum Kind { kEmpty, kSet, kShow, kTransaction, kVersion, kTypeLookup, kQuery } kind = kQuery;
  std::string tag;      // CommandComplete's for kSet, kTransaction
  std::string setting;  // kSet, kShow: lower-cased name
};

// Settings drivers and tools set on connect; accepted, and changing
// nothing (MyTSDB answers in UTC, UTF-8, ISO dates, full float precision).
const std::set<std::string>& HarmlessSettings() {
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
  const std::string text = Lower(Trim(statement));
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
const char* DuckDbTypeOf(int32_t type_oid) {
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

class Session {
 public:
  Session(Channel& channel, const SessionOptions& options, CancelRegistry* cancels)
      : ch_(channel), options_(options), cancels_(cancels),
        cancel_(std::make_shared<std::atomic<bool>>(false)) {}

  void Run() {
    if (!StartUp()) return;
    const auto [id, secret] = cancels_->Register(cancel_);
    struct Unregister {
      CancelRegistry* r;
      int32_t id;
      ~Unregister() { r->Unregister(id); }
    } unregister{cancels_, id};
    MessageBuilder('K').Int32(id).Int32(secret).AppendTo(&out_);
    AppendReadyForQuery(&out_, 'I');
    if (!Flush()) return;
    while (true) {
      char type;
      std::string body;
      if (!ReadMessage(&type, &body)) return;
      if (type == 'X') return;
      Dispatch(type, body);
      if (!Flush()) return;
    }
  }

 private:
  struct Statement {
    std::string query;
    Command command;
    std::unique_ptr<sql::PreparedQuery> prepared;  // kQuery
    std::vector<int32_t> parameter_oids;           // as the client gave them
  };
  struct Portal {
    std::shared_ptr<Statement> statement;
    std::vector<std::optional<std::string>> parameters;
    std::vector<int16_t> result_formats;  // as Bind gave them
    std::unique_ptr<sql::Cursor> cursor;
    bool have_chunk = false;  // the cursor is on a chunk not sent in full
    uint64_t chunk_row = 0;
    int64_t rows = 0;
  };

  // ---- I/O ----

  bool Flush() {
    if (out_.empty()) return true;
    Status st = ch_.Write(out_);
    out_.clear();
    return st.ok();
  }

  bool ReadMessage(char* type, std::string* body) {
    char header[5];
    if (!ch_.ReadExactly(header, 5).ok()) return false;
    *type = header[0];
    uint32_t length;
    std::memcpy(&length, header + 1, 4);
    length = ntohl(length);
    if (length < 4 || length > static_cast<uint32_t>(kMaxMessageBytes)) {
      AppendError(&out_, "08P01", "invalid message length " + std::to_string(length), std::nullopt, true);
      Flush();
      return false;
    }
    body->resize(length - 4);
    return length == 4 || ch_.ReadExactly(body->data(), body->size()).ok();
  }

  // ---- start-up and authentication ----

  bool StartUp() {
    StartupMessage startup;
    while (true) {
      char word[4];
      if (!ch_.ReadExactly(word, 4).ok()) return false;
      uint32_t length;
      std::memcpy(&length, word, 4);
      length = ntohl(length);
      if (length < 8 || length > 10000) return false;
      std::string body(length - 4, '\0');
      if (!ch_.ReadExactly(body.data(), body.size()).ok()) return false;
      Result<StartupMessage> m = ParseStartup(body);
      if (!m.ok()) return false;
      if (m->kind == StartupMessage::Kind::kSslRequest) {
        const bool tls = ch_.tls_available() && !ch_.is_tls();
        if (!ch_.Write(tls ? "S" : "N").ok()) return false;
        if (tls && !ch_.StartTls().ok()) return false;
        continue;
      }
      if (m->kind == StartupMessage::Kind::kGssEncRequest) {
        if (!ch_.Write("N").ok()) return false;
        continue;
      }
      if (m->kind == StartupMessage::Kind::kCancelRequest) {
        cancels_->Cancel(m->cancel_process_id, m->cancel_secret);
        return false;  // the connection closes without an answer
      }
      startup = std::move(*m);
      break;
    }
    if (startup.version >> 16 != 3) {
      AppendError(&out_, "0A000",
                  "unsupported frontend protocol " + std::to_string(startup.version >> 16) + "." +
                      std::to_string(startup.version & 0xffff) + ": MyTSDB speaks 3.0",
                  std::nullopt, true);
      Flush();
      return false;
    }
    user_ = startup.parameters["user"];
    application_ = startup.parameters["application_name"];
    if (options_.check_password) {
      if (!ch_.is_tls()) {
        AppendError(&out_, "28000",
                    "MyTSDB asks for passwords only over TLS: connect with sslmode=require",
                    std::nullopt, true);
        Flush();
        return false;
      }
      MessageBuilder('R').Int32(3).AppendTo(&out_);  // cleartext password
      if (!Flush()) return false;
      char type;
      std::string body;
      if (!ReadMessage(&type, &body) || type != 'p') return false;
      MessageReader r(body);
      Result<std::string> password = r.String();
      if (!password.ok() || !options_.check_password(user_, *password)) {
        AppendError(&out_, "28P01", "password authentication failed for user \"" + user_ + "\"",
                    std::nullopt, true);
        Flush();
        return false;
      }
    }
    MessageBuilder('R').Int32(0).AppendTo(&out_);
    AppendParameterStatus(&out_, "server_version", kServerVersion);
    AppendParameterStatus(&out_, "server_encoding", "UTF8");
    AppendParameterStatus(&out_, "client_encoding", "UTF8");
    AppendParameterStatus(&out_, "DateStyle", "ISO, MDY");
    AppendParameterStatus(&out_, "TimeZone", "UTC");
    AppendParameterStatus(&out_, "integer_datetimes", "on");
    AppendParameterStatus(&out_, "standard_conforming_strings", "on");
    AppendParameterStatus(&out_, "IntervalStyle", "postgres");
    AppendParameterStatus(&out_, "is_superuser", "off");
    AppendParameterStatus(&out_, "session_authorization", user_);
    AppendParameterStatus(&out_, "application_name", application_);
    return true;
  }

  // ---- messages ----

  void Dispatch(char type, const std::string& body) {
    if (type == 'Q') {
      MessageReader r(body);
      Result<std::string> query = r.String();
      if (!query.ok()) {
        AppendError(&out_, "08P01", query.status().message());
      } else {
        SimpleQuery(*query);
      }
      AppendReadyForQuery(&out_, in_transaction_ ? 'T' : 'I');
      return;
    }
    if (type == 'S') {  // Sync
      failed_ = false;
      portals_.erase("");
      AppendReadyForQuery(&out_, in_transaction_ ? 'T' : 'I');
      return;
    }
    if (type == 'H') return;  // Flush: the output goes after every message
    if (failed_) return;      // after an error, until Sync
    Status st;
    switch (type) {
      case 'P': st = Parse(body); break;
      case 'B': st = Bind(body); break;
      case 'D': st = Describe(body); break;
      case 'E': st = Execute(body); break;
      case 'C': st = Close(body); break;
      default:
        st = Status::InvalidArgument(std::string("unsupported message type '") + type + "'");
    }
    if (!st.ok()) {
      Fail(st);
      failed_ = true;
    }
  }

  void Fail(const Status& st) {
    std::string message = st.message();
    if (message.rfind("SQL: ", 0) == 0) message = message.substr(5);
    // The position goes in its own field.
    if (message.rfind("at character ", 0) == 0 && message.find(": ") != std::string::npos) {
      message = message.substr(message.find(": ") + 2);
    }
    AppendError(&out_, st.code() == StatusCode::kInvalidArgument && message.find("PostgreSQL protocol") == 0
                           ? "08P01"
                           : SqlState(st),
                message, Position(st));
  }

  // A new query's limits: the engine's timeout, this session's cancel flag
  // (reset: a cancel request stops the query running when it arrives).
  sql::QueryControl Control() {
    cancel_->store(false);
    return options_.engine->WithTimeout({.cancel = cancel_, .shutdown = options_.shutdown});
  }

  // A statement the session answers itself (kQuery excepted); rows as
  // text when it has some (SHOW, version()).
  Status RunCommand(const Command& c, bool describe) {
    switch (c.kind) {
      case Command::kEmpty: MessageBuilder('I').AppendTo(&out_); return Status::OK();
      case Command::kSet:
        if (!HarmlessSettings().count(c.setting)) {
          return Status::InvalidArgument("SQL: setting \"" + c.setting +
                                         "\" cannot be changed (MyTSDB accepts only session settings drivers send)");
        }
        AppendCommandComplete(&out_, c.tag);
        return Status::OK();
      case Command::kShow: {
        std::optional<std::string> value = ShowValue(c.setting, user_, application_);
        if (!value) return Status::InvalidArgument("SQL: unrecognized configuration parameter \"" + c.setting + "\"");
        SendOneValue(c.setting, *value, describe, "SHOW");
        return Status::OK();
      }
      case Command::kTransaction:
        if (c.tag == "BEGIN" || c.tag == "START TRANSACTION") in_transaction_ = true;
        if (c.tag == "COMMIT" || c.tag == "ROLLBACK") in_transaction_ = false;
        AppendCommandComplete(&out_, c.tag == "ROLLBACK TO" ? "ROLLBACK" : c.tag);
        return Status::OK();
      case Command::kVersion:
        SendOneValue("version", std::string("PostgreSQL ") + kServerVersion + " (MyTSDB " + options_.version +
                                    ") on x86_64-pc-linux-gnu",
                     describe, "SELECT 1");
        return Status::OK();
      case Command::kTypeLookup:
        if (describe) AppendRowDescription(&out_, TypeLookupFields());
        AppendCommandComplete(&out_, "SELECT 0");
        return Status::OK();
      case Command::kQuery: break;
    }
    return Status::Internal("not a session command");
  }

  static std::vector<Field> TypeLookupFields() {
    return {{"name", oid::kText, -1}, {"oid", oid::kInt8, 8}, {"array_oid", oid::kInt8, 8},
            {"regtype", oid::kText, -1}, {"delimiter", oid::kText, -1}};
  }

  void SendOneValue(const std::string& name, const std::string& value, bool describe, const char* tag) {
    if (describe) AppendRowDescription(&out_, {{name, oid::kText, -1}});
    MessageBuilder('D').Int16(1).Int32(static_cast<int32_t>(value.size())).Bytes(value).AppendTo(&out_);
    AppendCommandComplete(&out_, tag);
  }

  static std::vector<Field> FieldsOf(const std::vector<std::string>& names,
                                     const std::vector<duckdb::LogicalType>& types) {
    std::vector<Field> fields;
    for (size_t i = 0; i < names.size(); ++i) {
      const PgType t = PgTypeOf(types[i]);
      fields.push_back({names[i], t.oid, t.size});
    }
    return fields;
  }

  // Sends the portal's rows, at most max_rows (0: all); true when all went.
  Result<bool> SendRows(Portal& p, int32_t max_rows) {
    int64_t sent = 0;
    std::string cell;
    while (true) {
      if (!p.have_chunk) {
        Result<bool> more = p.cursor->Next();
        if (!more.ok()) return more.status();
        if (!*more) return true;
        p.have_chunk = true;
        p.chunk_row = 0;
      }
      const duckdb::DataChunk& chunk = p.cursor->chunk();
      for (; p.chunk_row < chunk.size(); ++p.chunk_row) {
        if (max_rows > 0 && sent == max_rows) return false;
        MessageBuilder row('D');
        row.Int16(static_cast<int16_t>(chunk.ColumnCount()));
        for (duckdb::idx_t c = 0; c < chunk.ColumnCount(); ++c) {
          cell.clear();
          const bool binary = p.result_formats.size() == 1 ? p.result_formats[0] == 1
                              : c < p.result_formats.size() ? p.result_formats[c] == 1
                                                            : false;
          if (binary ? CellToBinary(chunk, c, p.chunk_row, &cell) : CellToText(chunk, c, p.chunk_row, &cell)) {
            row.Int32(static_cast<int32_t>(cell.size())).Bytes(cell);
          } else {
            row.Int32(-1);
          }
        }
        row.AppendTo(&out_);
        ++sent;
        ++p.rows;
        if (out_.size() >= (1 << 16) && !Flush()) return Status::Unavailable("the client is gone");
      }
      p.have_chunk = false;
    }
  }

  void SimpleQuery(const std::string& text) {
    for (const std::string& statement : SplitStatements(text)) {
      const Command c = Classify(statement);
      Status st;
      if (c.kind != Command::kQuery) {
        st = RunCommand(c, /*describe=*/true);
      } else {
        Result<std::unique_ptr<sql::Cursor>> cursor = options_.engine->Execute(statement, Control());
        if (cursor.ok()) {
          AppendRowDescription(&out_, FieldsOf((*cursor)->columns(), (*cursor)->logical_types()));
          Portal p;
          p.cursor = std::move(*cursor);
          Result<bool> done = SendRows(p, 0);
          st = done.status();
          if (st.ok()) AppendCommandComplete(&out_, "SELECT " + std::to_string(p.rows));
        } else {
          st = cursor.status();
        }
      }
      if (!st.ok()) {
        Fail(st);
        return;  // the rest of the query string is not run
      }
    }
  }

  Status Parse(const std::string& body) {
    ASSIGN_OR_RETURN(ParseMessage m, ParseParse(body));
    auto statement = std::make_shared<Statement>();
    statement->query = m.query;
    statement->command = Classify(m.query);
    statement->parameter_oids = m.parameter_types;
    if (statement->command.kind == Command::kQuery) {
      if (SplitStatements(m.query).size() > 1) {
        return Status::InvalidArgument("SQL: cannot insert multiple commands into a prepared statement");
      }
      ASSIGN_OR_RETURN(statement->prepared,
                       options_.engine->Prepare(TypeParameters(m.query, m.parameter_types), Control()));
    }
    statements_[m.statement] = std::move(statement);
    MessageBuilder('1').AppendTo(&out_);
    return Status::OK();
  }

  Status Bind(const std::string& body) {
    ASSIGN_OR_RETURN(BindMessage m, ParseBind(body));
    auto it = statements_.find(m.statement);
    if (it == statements_.end()) {
      return Status::InvalidArgument("SQL: prepared statement \"" + m.statement + "\" does not exist");
    }
    for (int16_t f : m.result_formats) {
      if (f != 0 && f != 1) return Status::InvalidArgument("PostgreSQL protocol: result format " + std::to_string(f));
    }
    Portal p;
    p.statement = it->second;
    p.result_formats = m.result_formats;
    for (size_t i = 0; i < m.parameters.size(); ++i) {
      const int16_t format = m.parameter_formats.empty() ? 0
                             : m.parameter_formats.size() == 1 ? m.parameter_formats[0]
                                                               : (i < m.parameter_formats.size() ? m.parameter_formats[i] : 0);
      if (!m.parameters[i] || format == 0) {
        p.parameters.push_back(m.parameters[i]);
        continue;
      }
      const int32_t type = i < p.statement->parameter_oids.size() ? p.statement->parameter_oids[i] : 0;
      ASSIGN_OR_RETURN(std::string text, BinaryParameterToText(type, *m.parameters[i]));
      p.parameters.push_back(std::move(text));
    }
    portals_[m.portal] = std::move(p);
    MessageBuilder('2').AppendTo(&out_);
    return Status::OK();
  }

  Status Describe(const std::string& body) {
    ASSIGN_OR_RETURN(DescribeMessage m, ParseDescribe(body));
    std::shared_ptr<Statement> statement;
    const std::vector<int16_t>* formats = nullptr;  // a portal's result formats
    if (m.kind == 'S') {
      auto it = statements_.find(m.name);
      if (it == statements_.end()) return Status::InvalidArgument("SQL: prepared statement \"" + m.name + "\" does not exist");
      statement = it->second;
      MessageBuilder t('t');
      const size_t n = statement->prepared ? statement->prepared->parameter_types().size() : 0;
      t.Int16(static_cast<int16_t>(n));
      for (size_t i = 0; i < n; ++i) {
        const int32_t given = i < statement->parameter_oids.size() ? statement->parameter_oids[i] : 0;
        t.Int32(given != 0 ? given : ParameterOid(statement->prepared->parameter_types()[i]));
      }
      t.AppendTo(&out_);
    } else {
      auto it = portals_.find(m.name);
      if (it == portals_.end()) return Status::InvalidArgument("SQL: portal \"" + m.name + "\" does not exist");
      statement = it->second.statement;
      formats = &it->second.result_formats;
    }
    switch (statement->command.kind) {
      case Command::kQuery: {
        std::vector<Field> fields = FieldsOf(statement->prepared->columns(), statement->prepared->logical_types());
        for (size_t c = 0; formats != nullptr && c < fields.size(); ++c) {
          fields[c].format = formats->size() == 1 ? (*formats)[0] : c < formats->size() ? (*formats)[c] : 0;
        }
        AppendRowDescription(&out_, fields);
        break;
      }
      case Command::kShow: AppendRowDescription(&out_, {{statement->command.setting, oid::kText, -1}}); break;
      case Command::kVersion: AppendRowDescription(&out_, {{"version", oid::kText, -1}}); break;
      case Command::kTypeLookup: AppendRowDescription(&out_, TypeLookupFields()); break;
      default: MessageBuilder('n').AppendTo(&out_);  // NoData
    }
    return Status::OK();
  }

  Status Execute(const std::string& body) {
    ASSIGN_OR_RETURN(ExecuteMessage m, ParseExecute(body));
    auto it = portals_.find(m.portal);
    if (it == portals_.end()) return Status::InvalidArgument("SQL: portal \"" + m.portal + "\" does not exist");
    Portal& p = it->second;
    if (p.statement->command.kind != Command::kQuery) return RunCommand(p.statement->command, /*describe=*/false);
    if (!p.cursor) {
      ASSIGN_OR_RETURN(p.cursor, p.statement->prepared->Run(p.parameters, Control()));
    }
    ASSIGN_OR_RETURN(bool done, SendRows(p, m.max_rows));
    if (done) {
      AppendCommandComplete(&out_, "SELECT " + std::to_string(p.rows));
      p.cursor.reset();
      p.rows = 0;
    } else {
      MessageBuilder('s').AppendTo(&out_);  // PortalSuspended
    }
    return Status::OK();
  }

  Status Close(const std::string& body) {
    ASSIGN_OR_RETURN(DescribeMessage m, ParseDescribe(body));
    if (m.kind == 'S') {
      statements_.erase(m.name);
    } else {
      portals_.erase(m.name);
    }
    MessageBuilder('3').AppendTo(&out_);
    return Status::OK();
  }

  Channel& ch_;
  const SessionOptions& options_;
  CancelRegistry* const cancels_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::string out_;
  std::string user_, application_;
  bool in_transaction_ = false;
  bool failed_ = false;  // an extended-protocol error: skip to Sync
  std::map<std::string, std::shared_ptr<Statement>> statements_;
  std::map<std::string, Portal> portals_;
};

}  // namespace

void ServeSession(Channel& channel, const SessionOptions& options, CancelRegistry* cancels) {
  Session(channel, options, cancels).Run();
}

}  // namespace mytsdb::pgwire
