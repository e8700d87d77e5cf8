#include "check_command.h"

#include <cstdio>

#include "rules/rule_file.h"
#include "sql/rule_sql.h"

namespace mytsdb::app {

int RunCheckRules(const CheckRulesOptions& options) {
  bool failed = false;
  for (const std::string& file : options.files) {
    std::printf("Checking %s\n", file.c_str());
    std::fflush(stdout);  // before the problems, which go to stderr
    auto parsed = rules::LoadRuleFile(
        file, {.names = options.names, .allow_sql = !options.strict_prometheus, .check_sql = sql::CheckRuleSql});
    if (parsed.errors.empty()) {
      std::printf("  SUCCESS: %zu rules found\n\n", parsed.file.RuleCount());
      continue;
    }
    failed = true;
    std::fprintf(stderr, "  FAILED:\n");
    for (const std::string& e : parsed.errors) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "\n");
  }
  std::fflush(stdout);
  return failed ? 1 : 0;
}

}  // namespace mytsdb::app
