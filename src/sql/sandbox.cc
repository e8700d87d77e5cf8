#include "sql/sandbox.h"

#include <cctype>
#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/thread_priority.h"
#include "duckdb.hpp"
#include "sql/sandbox_internal.h"

namespace mytsdb::sql {

namespace {

// What a refused statement is, for the message.
std::string_view StatementKind(duckdb::StatementType type) {
  using duckdb::StatementType;
  switch (type) {
    case StatementType::SELECT_STATEMENT: return "SELECT";
    case StatementType::INSERT_STATEMENT: return "INSERT";
    case StatementType::UPDATE_STATEMENT: return "UPDATE";
    case StatementType::EXPLAIN_STATEMENT: return "EXPLAIN";
    case StatementType::DELETE_STATEMENT: return "DELETE";
    case StatementType::PREPARE_STATEMENT: return "PREPARE";
    case StatementType::CREATE_STATEMENT: return "CREATE";
    case StatementType::EXECUTE_STATEMENT: return "EXECUTE";
    case StatementType::ALTER_STATEMENT: return "ALTER";
    case StatementType::TRANSACTION_STATEMENT: return "a transaction statement";
    case StatementType::COPY_STATEMENT: return "COPY";
    case StatementType::ANALYZE_STATEMENT: return "ANALYZE";
    case StatementType::VARIABLE_SET_STATEMENT: return "SET VARIABLE";
    case StatementType::CREATE_FUNC_STATEMENT: return "CREATE FUNCTION";
    case StatementType::DROP_STATEMENT: return "DROP";
    case StatementType::EXPORT_STATEMENT: return "EXPORT";
    case StatementType::PRAGMA_STATEMENT: return "PRAGMA";
    case StatementType::VACUUM_STATEMENT: return "VACUUM";
    case StatementType::CALL_STATEMENT: return "CALL";
    case StatementType::SET_STATEMENT: return "SET";
    case StatementType::LOAD_STATEMENT: return "LOAD or INSTALL";
    case StatementType::ATTACH_STATEMENT: return "ATTACH";
    case StatementType::DETACH_STATEMENT: return "DETACH";
    default: return "a statement of another kind";
  }
}

// The first keyword of a statement, upper-cased, after blanks, comments and
// opening parentheses ("" if none).
std::string FirstKeyword(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '(') {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      const size_t end = sql.find('\n', i);
      i = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (sql.substr(i, 2) == "/*") {
      const size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  std::string word;
  for (; i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])); ++i) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
  }
  return word;
}

// Statements that can only be queries. Checked before DuckDB prepares a
// statement, because preparing has effects of its own for some kinds
// (preparing EXPORT DATABASE creates its directory); the prepared
// statement's type is checked again after.
bool StartsAsAQuery(const std::string& keyword) {
  return keyword == "SELECT" || keyword == "WITH" || keyword == "FROM" || keyword == "VALUES" ||
         keyword == "TABLE";
}

// Runs a statement of the set-up (not a user's).
Status Run(duckdb::Connection& con, const std::string& sql) {
  duckdb::unique_ptr<duckdb::MaterializedQueryResult> result = con.Query(sql);
  if (result->HasError()) return Status::Internal("SQL set-up: " + sql + ": " + result->GetError());
  return Status::OK();
}

// A string literal of SQL.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

struct SqlSandbox::Impl {
  std::unique_ptr<duckdb::DuckDB> db;
};

SqlSandbox::SqlSandbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqlSandbox::~SqlSandbox() = default;

Result<std::unique_ptr<SqlSandbox>> SqlSandbox::Open(const SandboxOptions& options) {
  if (options.allowed_directory.empty() || options.allowed_directory.front() != '/') {
    return Status::InvalidArgument("SQL: the allowed directory must be an absolute path, not '" +
                                   options.allowed_directory + "'");
  }
  auto impl = std::make_unique<Impl>();
  try {
    duckdb::DBConfig config;
    config.SetOptionByName("autoinstall_known_extensions", duckdb::Value::BOOLEAN(false));
    config.SetOptionByName("autoload_known_extensions", duckdb::Value::BOOLEAN(false));
    if (options.memory_limit_bytes > 0) {
      config.SetOptionByName("memory_limit",
                             duckdb::Value(std::to_string(options.memory_limit_bytes) + "B"));
    }
    if (options.threads > 0) {
      config.SetOptionByName("threads", duckdb::Value::BIGINT(options.threads));
    }
    if (options.temp_directory.empty()) {
      // An in-memory database would spill to ".tmp" in the working directory.
      config.SetOptionByName("temp_directory", duckdb::Value(""));
    } else {
      config.SetOptionByName("temp_directory", duckdb::Value(options.temp_directory));
      config.SetOptionByName("max_temp_directory_size",
                             duckdb::Value(std::to_string(options.max_temp_bytes) + "B"));
    }
    // DuckDB starts its worker threads here; made from a thread of lower
    // priority, they inherit it (Linux copies the nice value).
    std::string open_error;
    auto open = [&] {
      try {
        impl->db = std::make_unique<duckdb::DuckDB>(nullptr, &config);
      } catch (const std::exception& e) {
        open_error = e.what();
      }
    };
    if (options.worker_nice > 0) {
      Status lowered = RunAtLowerPriority(options.worker_nice, open);
      if (!lowered.ok()) spdlog::warn("SQL: DuckDB's threads run at normal priority: {}", lowered.ToString());
    } else {
      open();
    }
    if (impl->db == nullptr) return Status::Internal("SQL: cannot open DuckDB: " + open_error);
    duckdb::Connection con(*impl->db);
    if (options.setup) RETURN_NOT_OK(options.setup(con));
    // In this order: DuckDB takes allowed_directories only once started,
    // and no setting after the lock (docs/design/sql.md).
    std::string dirs;
    for (std::string dir : options.more_allowed_directories) {
      if (dir.empty() || dir.front() != '/') return Status::InvalidArgument("SQL: '" + dir + "' is not absolute");
      if (dir.back() != '/') dir += '/';
      dirs += ", " + Quote(dir);
    }
    std::string dir = options.allowed_directory;
    if (dir.back() != '/') dir += '/';
    // Timestamps with a time zone are shown, and local ones read, in UTC
    // whatever the machine's zone (DuckDB's default is the machine's).
    RETURN_NOT_OK(Run(con, "SET GLOBAL TimeZone = 'UTC'"));
    RETURN_NOT_OK(Run(con, "SET allowed_directories = [" + Quote(dir) + dirs + "]"));
    RETURN_NOT_OK(Run(con, "SET enable_external_access = false"));
    RETURN_NOT_OK(Run(con, "SET lock_configuration = true"));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("SQL: cannot open DuckDB: ") + e.what());
  }
  return std::unique_ptr<SqlSandbox>(new SqlSandbox(std::move(impl)));
}

Status SqlSandbox::RunTrusted(const std::string& sql) const {
  try {
    duckdb::Connection con(*impl_->db);
    return Run(con, sql);
  } catch (const std::exception& e) {
    return ToStatus(e);
  }
}

Result<std::unique_ptr<PreparedQuery>> SqlSandbox::Prepare(std::string_view sql,
                                                           const QueryControl& control) const {
  // DuckDB's C++ API reports errors both ways: as exceptions (parsing) and
  // in results.
  auto impl = std::make_unique<PreparedQuery::Impl>();
  try {
    impl->con = std::make_shared<duckdb::Connection>(*impl_->db);
    duckdb::Connection& con = *impl->con;
    const std::string text(sql);
    duckdb::vector<duckdb::unique_ptr<duckdb::SQLStatement>> statements;
    try {
      statements = con.ExtractStatements(text);
    } catch (const std::exception& e) {
      return ToStatus(e);
    }
    if (statements.empty()) return Status::InvalidArgument("SQL: no statement");
    if (statements.size() > 1) {
      return Status::InvalidArgument("SQL: one statement a request, not " +
                                     std::to_string(statements.size()));
    }
    const std::string keyword = FirstKeyword(text);
    if (!StartsAsAQuery(keyword)) {
      return Status::InvalidArgument("SQL: only SELECT statements are allowed, not " +
                                     (keyword.empty() ? std::string("this statement") : keyword));
    }
    // Preparing binds the statement, which runs promql(): it may take time.
    Watchdog watchdog(&con, control);
    impl->prepared = std::shared_ptr<duckdb::PreparedStatement>(con.Prepare(std::move(statements[0])).release());
    if (impl->prepared->HasError()) {
      Status why = watchdog.reason();
      return why.ok() ? ToStatus(impl->prepared->GetErrorObject()) : why;
    }
    const duckdb::StatementType type = impl->prepared->GetStatementType();
    if (type != duckdb::StatementType::SELECT_STATEMENT) {
      return Status::InvalidArgument("SQL: only SELECT statements are allowed, not " +
                                     std::string(StatementKind(type)));
    }
  } catch (const std::exception& e) {
    return ToStatus(e);
  }
  return std::unique_ptr<PreparedQuery>(new PreparedQuery(std::move(impl)));
}

Result<std::unique_ptr<Cursor>> SqlSandbox::Execute(std::string_view sql,
                                                    const QueryControl& control) const {
  // One timeout for preparing (which runs promql()) and running.
  QueryControl whole = control;
  if (!whole.started) whole.started = std::chrono::steady_clock::now();
  Result<std::unique_ptr<PreparedQuery>> prepared = Prepare(sql, whole);
  if (!prepared.ok()) return prepared.status();
  return (*prepared)->Run({}, whole);
}

Result<QueryResult> SqlSandbox::Query(std::string_view sql) const {
  Result<std::unique_ptr<Cursor>> cursor = Execute(sql, {});
  if (!cursor.ok()) return cursor.status();
  QueryResult out;
  out.columns = (*cursor)->columns();
  out.types = (*cursor)->types();
  while (true) {
    Result<bool> more = (*cursor)->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    const duckdb::DataChunk& chunk = (*cursor)->chunk();
    for (duckdb::idx_t r = 0; r < chunk.size(); ++r) {
      auto& cells = out.rows.emplace_back();
      cells.reserve(out.columns.size());
      for (duckdb::idx_t c = 0; c < chunk.ColumnCount(); ++c) {
        duckdb::Value v = chunk.GetValue(c, r);
        cells.push_back(v.IsNull() ? std::nullopt : std::optional<std::string>(v.ToString()));
      }
    }
  }
  return out;
}

}  // namespace mytsdb::sql
