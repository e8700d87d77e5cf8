#include "sql/sandbox.h"

#include <cctype>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "duckdb.hpp"
#include "duckdb/common/arrow/arrow_converter.hpp"

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

// A DuckDB error as a Status (sandbox.h, Cursor), "SQL: " and its message;
// a parse error names its position.
Status ToStatus(const duckdb::ErrorData& error) {
  std::string message = "SQL: " + error.Message();
  using duckdb::ExceptionType;
  switch (error.Type()) {
    case ExceptionType::PARSER:
    case ExceptionType::SYNTAX: {
      auto position = error.ExtraInfo().find("position");
      if (position != error.ExtraInfo().end()) {
        message = "SQL: at character " + position->second + ": " + error.Message();
      }
      return Status::InvalidArgument(std::move(message));
    }
    case ExceptionType::BINDER:
    case ExceptionType::CATALOG:
    case ExceptionType::PERMISSION:
    case ExceptionType::PARAMETER_NOT_RESOLVED:
    case ExceptionType::PARAMETER_NOT_ALLOWED:
    case ExceptionType::MISSING_EXTENSION:
    case ExceptionType::AUTOLOAD:
    case ExceptionType::SETTINGS:
      return Status::InvalidArgument(std::move(message));
    case ExceptionType::INTERRUPT: return Status::Cancelled(std::move(message));
    case ExceptionType::OUT_OF_MEMORY: return Status::ResourceExhausted(std::move(message));
    case ExceptionType::INTERNAL:
    case ExceptionType::FATAL: return Status::Internal(std::move(message));
    default: return Status::OutOfRange(std::move(message));
  }
}

Status ToStatus(const std::exception& e) { return ToStatus(duckdb::ErrorData(e)); }

// Interrupts a connection's query once its time is up or its cancel flag
// is set; polls the flags every 100 ms.
class Watchdog {
 public:
  Watchdog(duckdb::Connection* con, const QueryControl& control) : con_(con), control_(control) {
    if (control.timeout.count() <= 0 && !control.cancel && control.shutdown == nullptr) return;
    thread_ = std::thread([this] { Watch(); });
  }
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // Why the query was interrupted, as the status to answer; OK if it was not.
  Status reason() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reason_;
  }

 private:
  void Watch() {
    const auto deadline = std::chrono::steady_clock::now() + control_.timeout;
    std::unique_lock<std::mutex> lock(mu_);
    while (!done_) {
      if (control_.timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline) {
        reason_ = Status::DeadlineExceeded("SQL: query timed out after " +
                                           std::to_string(control_.timeout.count()) + " ms");
      } else if ((control_.cancel && control_.cancel->load()) ||
                 (control_.shutdown != nullptr && control_.shutdown->load())) {
        reason_ = Status::Cancelled("SQL: query canceled");
      }
      if (!reason_.ok()) {
        con_->Interrupt();
        return;
      }
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }

  duckdb::Connection* const con_;
  const QueryControl control_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;   // guarded by mu_
  Status reason_;       // guarded by mu_
  std::thread thread_;
};

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
    impl->db = std::make_unique<duckdb::DuckDB>(nullptr, &config);
    duckdb::Connection con(*impl->db);
    if (options.setup) RETURN_NOT_OK(options.setup(con));
    // In this order: DuckDB takes allowed_directories only once started,
    // and no setting after the lock (docs/design/sql.md).
    std::string dir = options.allowed_directory;
    if (dir.back() != '/') dir += '/';
    RETURN_NOT_OK(Run(con, "SET allowed_directories = [" + Quote(dir) + "]"));
    RETURN_NOT_OK(Run(con, "SET enable_external_access = false"));
    RETURN_NOT_OK(Run(con, "SET lock_configuration = true"));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("SQL: cannot open DuckDB: ") + e.what());
  }
  return std::unique_ptr<SqlSandbox>(new SqlSandbox(std::move(impl)));
}

struct Cursor::Impl {
  std::unique_ptr<duckdb::Connection> con;
  std::unique_ptr<Watchdog> watchdog;  // after con: stops before it closes
  duckdb::unique_ptr<duckdb::PreparedStatement> prepared;
  duckdb::unique_ptr<duckdb::QueryResult> result;
  duckdb::unique_ptr<duckdb::DataChunk> chunk;

  // The status of an error, or of the interruption behind it.
  Status Fail(Status st) const {
    Status why = watchdog ? watchdog->reason() : Status::OK();
    return why.ok() ? st : why;
  }
};

Cursor::Cursor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cursor::~Cursor() = default;

const duckdb::DataChunk& Cursor::chunk() const { return *impl_->chunk; }

namespace {
// Timestamps with time zone are UTC instants; the name is "UTC" whatever
// the machine's zone is called.
duckdb::ClientProperties ArrowProperties(duckdb::ClientContext& context) {
  duckdb::ClientProperties properties = context.GetClientProperties();
  properties.time_zone = "UTC";
  return properties;
}
}  // namespace

void Cursor::ExportSchema(ArrowSchema* out) const {
  duckdb::ClientProperties properties = ArrowProperties(*impl_->con->context);
  duckdb::ArrowConverter::ToArrowSchema(out, impl_->result->types, impl_->result->names, properties);
}

void Cursor::ExportChunk(uint64_t rows, ArrowArray* out) const {
  duckdb::DataChunk& chunk = *impl_->chunk;
  if (rows < chunk.size()) chunk.SetCardinality(rows);
  duckdb::ArrowConverter::ToArrowArray(chunk, out, ArrowProperties(*impl_->con->context), {});
}

Result<bool> Cursor::Next() {
  try {
    impl_->chunk = impl_->result->Fetch();
  } catch (const std::exception& e) {
    return impl_->Fail(ToStatus(e));
  }
  if (impl_->result->HasError()) return impl_->Fail(ToStatus(impl_->result->GetErrorObject()));
  return impl_->chunk != nullptr && impl_->chunk->size() > 0;
}

Result<std::unique_ptr<Cursor>> SqlSandbox::Execute(std::string_view sql,
                                                    const QueryControl& control) const {
  // DuckDB's C++ API reports errors both ways: as exceptions (parsing) and
  // in results.
  auto impl = std::make_unique<Cursor::Impl>();
  try {
    impl->con = std::make_unique<duckdb::Connection>(*impl_->db);
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
    impl->watchdog = std::make_unique<Watchdog>(&con, control);
    impl->prepared = con.Prepare(std::move(statements[0]));
    if (impl->prepared->HasError()) return impl->Fail(ToStatus(impl->prepared->GetErrorObject()));
    const duckdb::StatementType type = impl->prepared->GetStatementType();
    if (type != duckdb::StatementType::SELECT_STATEMENT) {
      return Status::InvalidArgument("SQL: only SELECT statements are allowed, not " +
                                     std::string(StatementKind(type)));
    }
    duckdb::vector<duckdb::Value> no_parameters;
    impl->result = impl->prepared->Execute(no_parameters, /*allow_stream_result=*/true);
    if (impl->result->HasError()) return impl->Fail(ToStatus(impl->result->GetErrorObject()));
  } catch (const std::exception& e) {
    return impl->Fail(ToStatus(e));
  }
  auto cursor = std::unique_ptr<Cursor>(new Cursor(std::move(impl)));
  for (const auto& name : cursor->impl_->result->names) cursor->columns_.push_back(name);
  for (const auto& type : cursor->impl_->result->types) cursor->types_.push_back(type.ToString());
  return cursor;
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
