#include <algorithm>
#include <chrono>
#include <map>
#include <exception>
#include <string>

#include "duckdb.hpp"
#include "duckdb/common/arrow/arrow_converter.hpp"
#include "sql/partial_result.h"
#include "sql/sandbox_internal.h"

namespace mytsdb::sql {

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

Watchdog::Watchdog(duckdb::Connection* con, const QueryControl& control) : con_(con), control_(control) {
  if (control.timeout.count() <= 0 && !control.cancel && control.shutdown == nullptr) return;
  thread_ = std::thread([this] { Watch(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status Watchdog::reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reason_;
}

void Watchdog::Watch() {
  const auto deadline = control_.started.value_or(std::chrono::steady_clock::now()) + control_.timeout;
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

// ---- PreparedQuery ------------------------------------------------------------

PreparedQuery::PreparedQuery(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  for (const auto& name : impl_->prepared->GetNames()) columns_.push_back(name);
  for (const auto& type : impl_->prepared->GetTypes()) types_.push_back(type.ToString());
  const auto expected = impl_->prepared->GetExpectedParameterTypes();
  parameter_types_.assign(impl_->prepared->named_param_map.size(), "UNKNOWN");
  for (const auto& [name, index] : impl_->prepared->named_param_map) {
    auto it = expected.find(name);
    if (index >= 1 && index <= parameter_types_.size() && it != expected.end()) {
      parameter_types_[index - 1] = it->second.ToString();
    }
  }
}

PreparedQuery::~PreparedQuery() = default;

std::vector<duckdb::LogicalType> PreparedQuery::logical_types() const {
  const auto& types = impl_->prepared->GetTypes();
  return std::vector<duckdb::LogicalType>(types.begin(), types.end());
}

Result<std::unique_ptr<Cursor>> PreparedQuery::Start(const std::function<void(Cursor::Impl&)>& execute,
                                                     const QueryControl& control) {
  auto impl = std::make_unique<Cursor::Impl>();
  impl->con = impl_->con;
  impl->prepared = impl_->prepared;
  try {
    impl->watchdog = std::make_unique<Watchdog>(impl->con.get(), control);
    execute(*impl);
    if (impl->result->HasError()) return impl->Fail(ToStatus(impl->result->GetErrorObject()));
  } catch (const std::exception& e) {
    return impl->Fail(ToStatus(e));
  }
  auto cursor = std::unique_ptr<Cursor>(new Cursor(std::move(impl)));
  for (const auto& name : cursor->impl_->result->names) cursor->columns_.push_back(name);
  for (const auto& type : cursor->impl_->result->types) cursor->types_.push_back(type.ToString());
  return cursor;
}

Result<std::unique_ptr<Cursor>> PreparedQuery::Run(
    const std::vector<std::optional<std::string>>& parameters, const QueryControl& control) {
  if (parameters.size() != parameter_types_.size()) {
    return Status::InvalidArgument("SQL: the statement takes " + std::to_string(parameter_types_.size()) +
                                   " parameters, not " + std::to_string(parameters.size()));
  }
  return Start([&](Cursor::Impl& impl) {
    duckdb::vector<duckdb::Value> values;
    for (const auto& p : parameters) {
      // Text, as the PostgreSQL protocol sends it; DuckDB casts it to the
      // type the statement expects there.
      values.push_back(p ? duckdb::Value(*p) : duckdb::Value());
    }
    impl.result = impl.prepared->Execute(values, /*allow_stream_result=*/true);
  }, control);
}

Result<std::unique_ptr<Cursor>> PreparedQuery::RunAt(const std::map<std::string, int64_t>& times_ms,
                                                     const QueryControl& control) {
  duckdb::case_insensitive_map_t<duckdb::BoundParameterData> values;
  std::string missing;
  for (const auto& param : impl_->prepared->named_param_map) {
    const std::string& name = param.first;
    auto it = std::find_if(times_ms.begin(), times_ms.end(),
                           [&](const auto& t) { return duckdb::StringUtil::CIEquals(t.first, name); });
    if (it == times_ms.end()) {
      missing += (missing.empty() ? "$" : ", $") + name;
      continue;
    }
    values[name] = duckdb::BoundParameterData(
        duckdb::Value::TIMESTAMPTZ(duckdb::timestamp_tz_t(duckdb::Timestamp::FromEpochMs(it->second))));
  }
  if (!missing.empty()) return Status::InvalidArgument("SQL: no value for the parameter " + missing);
  return Start([&](Cursor::Impl& impl) { impl.result = impl.prepared->Execute(values, /*allow_stream_result=*/true); },
               control);
}

// ---- Cursor -------------------------------------------------------------------

Cursor::Cursor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cursor::~Cursor() = default;

const duckdb::DataChunk& Cursor::chunk() const { return *impl_->chunk; }

std::vector<std::string> Cursor::warnings() const { return PartialWarnings(*impl_->con->context); }

std::vector<duckdb::LogicalType> Cursor::logical_types() const {
  return std::vector<duckdb::LogicalType>(impl_->result->types.begin(), impl_->result->types.end());
}

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

}  // namespace mytsdb::sql
