// Any bytes as a rule file: decoding and validating them (YAML, PromQL
// expressions, templates) ends with groups or a list of problems, never
// with a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/rule_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  auto parsed = mytsdb::rules::ParseRuleFile(text);
  (void)parsed;
  return 0;
}
