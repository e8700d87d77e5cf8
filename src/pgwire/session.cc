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
#include "pgwire/statements.h"
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
        if (!IsHarmlessSetting(c.setting)) {
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
