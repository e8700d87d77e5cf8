#include "sql/sandbox.h"

#include <duckdb.h>

#include <cctype>
#include <string>
#include <utility>

namespace mytsdb::sql {

namespace {

// What a refused statement is, for the message.
std::string_view StatementKind(duckdb_statement_type type) {
  switch (type) {
    case DUCKDB_STATEMENT_TYPE_SELECT: return "SELECT";
    case DUCKDB_STATEMENT_TYPE_INSERT: return "INSERT";
    case DUCKDB_STATEMENT_TYPE_UPDATE: return "UPDATE";
    case DUCKDB_STATEMENT_TYPE_EXPLAIN: return "EXPLAIN";
    case DUCKDB_STATEMENT_TYPE_DELETE: return "DELETE";
    case DUCKDB_STATEMENT_TYPE_PREPARE: return "PREPARE";
    case DUCKDB_STATEMENT_TYPE_CREATE: return "CREATE";
    case DUCKDB_STATEMENT_TYPE_EXECUTE: return "EXECUTE";
    case DUCKDB_STATEMENT_TYPE_ALTER: return "ALTER";
    case DUCKDB_STATEMENT_TYPE_TRANSACTION: return "a transaction statement";
    case DUCKDB_STATEMENT_TYPE_COPY: return "COPY";
    case DUCKDB_STATEMENT_TYPE_ANALYZE: return "ANALYZE";
    case DUCKDB_STATEMENT_TYPE_VARIABLE_SET: return "SET VARIABLE";
    case DUCKDB_STATEMENT_TYPE_CREATE_FUNC: return "CREATE FUNCTION";
    case DUCKDB_STATEMENT_TYPE_DROP: return "DROP";
    case DUCKDB_STATEMENT_TYPE_EXPORT: return "EXPORT";
    case DUCKDB_STATEMENT_TYPE_PRAGMA: return "PRAGMA";
    case DUCKDB_STATEMENT_TYPE_VACUUM: return "VACUUM";
    case DUCKDB_STATEMENT_TYPE_CALL: return "CALL";
    case DUCKDB_STATEMENT_TYPE_SET: return "SET";
    case DUCKDB_STATEMENT_TYPE_LOAD: return "LOAD or INSTALL";
    case DUCKDB_STATEMENT_TYPE_ATTACH: return "ATTACH";
    case DUCKDB_STATEMENT_TYPE_DETACH: return "DETACH";
    default: return "a statement of another kind";
  }
}

class Connection {
 public:
  explicit Connection(duckdb_database db) {
    if (duckdb_connect(db, &con_) != DuckDBSuccess) con_ = nullptr;
  }
  ~Connection() {
    if (con_ != nullptr) duckdb_disconnect(&con_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  duckdb_connection get() const { return con_; }

 private:
  duckdb_connection con_ = nullptr;
};

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
Status Run(duckdb_connection con, const std::string& sql) {
  duckdb_result result;
  const bool ok = duckdb_query(con, sql.c_str(), &result) == DuckDBSuccess;
  Status st = ok ? Status::OK() : Status::Internal("SQL set-up: " + sql + ": " + duckdb_result_error(&result));
  duckdb_destroy_result(&result);
  return st;
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
  duckdb_database db = nullptr;
  ~Impl() {
    if (db != nullptr) duckdb_close(&db);
  }
};

SqlSandbox::SqlSandbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqlSandbox::~SqlSandbox() = default;

Result<std::unique_ptr<SqlSandbox>> SqlSandbox::Open(const SandboxOptions& options) {
  if (options.allowed_directory.empty() || options.allowed_directory.front() != '/') {
    return Status::InvalidArgument("SQL: the allowed directory must be an absolute path, not '" +
                                   options.allowed_directory + "'");
  }
  duckdb_config config;
  if (duckdb_create_config(&config) != DuckDBSuccess) return Status::Internal("SQL: no DuckDB config");
  std::vector<std::pair<std::string, std::string>> settings = {
      {"autoinstall_known_extensions", "false"},
      {"autoload_known_extensions", "false"},
  };
  if (options.memory_limit_bytes > 0) {
    settings.emplace_back("memory_limit", std::to_string(options.memory_limit_bytes) + "B");
  }
  if (options.threads > 0) settings.emplace_back("threads", std::to_string(options.threads));
  for (const auto& [name, value] : settings) {
    if (duckdb_set_config(config, name.c_str(), value.c_str()) != DuckDBSuccess) {
      duckdb_destroy_config(&config);
      return Status::InvalidArgument("SQL: DuckDB refused the setting " + name + "=" + value);
    }
  }
  auto impl = std::make_unique<Impl>();
  char* error = nullptr;
  const bool opened = duckdb_open_ext(nullptr, &impl->db, config, &error) == DuckDBSuccess;
  duckdb_destroy_config(&config);
  if (!opened) {
    std::string message = error != nullptr ? error : "unknown error";
    if (error != nullptr) duckdb_free(error);
    impl->db = nullptr;
    return Status::Internal("SQL: cannot open DuckDB: " + message);
  }
  // In this order: DuckDB takes allowed_directories only once started, and
  // no setting after the lock (docs/design/sql.md).
  std::string dir = options.allowed_directory;
  if (dir.back() != '/') dir += '/';
  Connection con(impl->db);
  if (con.get() == nullptr) return Status::Internal("SQL: cannot connect to DuckDB");
  RETURN_NOT_OK(Run(con.get(), "SET allowed_directories = [" + Quote(dir) + "]"));
  RETURN_NOT_OK(Run(con.get(), "SET enable_external_access = false"));
  RETURN_NOT_OK(Run(con.get(), "SET lock_configuration = true"));
  return std::unique_ptr<SqlSandbox>(new SqlSandbox(std::move(impl)));
}

Result<QueryResult> SqlSandbox::Query(std::string_view sql) const {
  Connection con(impl_->db);
  if (con.get() == nullptr) return Status::Internal("SQL: cannot connect to DuckDB");
  const std::string text(sql);

  duckdb_extracted_statements statements = nullptr;
  const idx_t count = duckdb_extract_statements(con.get(), text.c_str(), &statements);
  struct Extracted {
    duckdb_extracted_statements* s;
    ~Extracted() { duckdb_destroy_extracted(s); }
  } extracted{&statements};
  if (count == 0) {
    const char* why = duckdb_extract_statements_error(statements);
    return Status::InvalidArgument(std::string("SQL: ") + (why != nullptr ? why : "no statement"));
  }
  if (count > 1) {
    return Status::InvalidArgument("SQL: one statement a request, not " + std::to_string(count));
  }

  const std::string keyword = FirstKeyword(text);
  if (!StartsAsAQuery(keyword)) {
    return Status::InvalidArgument("SQL: only SELECT statements are allowed, not " +
                                   (keyword.empty() ? std::string("this statement") : keyword));
  }

  duckdb_prepared_statement prepared = nullptr;
  const bool prepared_ok =
      duckdb_prepare_extracted_statement(con.get(), statements, 0, &prepared) == DuckDBSuccess;
  struct Prepared {
    duckdb_prepared_statement* p;
    ~Prepared() { duckdb_destroy_prepare(p); }
  } prepared_guard{&prepared};
  if (!prepared_ok) {
    const char* why = duckdb_prepare_error(prepared);
    return Status::InvalidArgument(std::string("SQL: ") + (why != nullptr ? why : "cannot prepare"));
  }
  const duckdb_statement_type type = duckdb_prepared_statement_type(prepared);
  if (type != DUCKDB_STATEMENT_TYPE_SELECT) {
    return Status::InvalidArgument("SQL: only SELECT statements are allowed, not " +
                                   std::string(StatementKind(type)));
  }

  duckdb_result result;
  const bool ran = duckdb_execute_prepared(prepared, &result) == DuckDBSuccess;
  struct ResultGuard {
    duckdb_result* r;
    ~ResultGuard() { duckdb_destroy_result(r); }
  } result_guard{&result};
  if (!ran) return Status::InvalidArgument(std::string("SQL: ") + duckdb_result_error(&result));

  QueryResult out;
  const idx_t columns = duckdb_column_count(&result);
  const idx_t rows = duckdb_row_count(&result);
  for (idx_t c = 0; c < columns; ++c) out.columns.emplace_back(duckdb_column_name(&result, c));
  out.rows.reserve(rows);
  for (idx_t r = 0; r < rows; ++r) {
    auto& row = out.rows.emplace_back();
    row.reserve(columns);
    for (idx_t c = 0; c < columns; ++c) {
      if (duckdb_value_is_null(&result, c, r)) {
        row.emplace_back(std::nullopt);
        continue;
      }
      char* v = duckdb_value_varchar(&result, c, r);
      row.emplace_back(v != nullptr ? std::string(v) : std::string());
      duckdb_free(v);
    }
  }
  return out;
}

}  // namespace mytsdb::sql
