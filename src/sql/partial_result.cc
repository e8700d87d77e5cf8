#include "sql/partial_result.h"

#include <algorithm>
#include <mutex>

#include "duckdb.hpp"
#include "duckdb/main/client_context_state.hpp"

namespace mytsdb::sql {

namespace {

constexpr const char* kStateKey = "mytsdb_partial_result";

// Kept for the connection's life, which is the query's.
class PartialResultState : public duckdb::ClientContextState {
 public:
  void Add(const std::vector<std::string>& warnings) {
    std::lock_guard lock(mu_);
    for (const std::string& w : warnings) {
      if (std::find(warnings_.begin(), warnings_.end(), w) == warnings_.end()) warnings_.push_back(w);
    }
  }
  std::vector<std::string> Get() const {
    std::lock_guard lock(mu_);
    return warnings_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> warnings_;
};

}  // namespace

void AddPartialWarnings(duckdb::ClientContext& context, const std::vector<std::string>& warnings) {
  if (warnings.empty()) return;
  context.registered_state->GetOrCreate<PartialResultState>(kStateKey)->Add(warnings);
}

std::vector<std::string> PartialWarnings(duckdb::ClientContext& context) {
  auto state = context.registered_state->Get<PartialResultState>(kStateKey);
  return state ? state->Get() : std::vector<std::string>();
}

}  // namespace mytsdb::sql
