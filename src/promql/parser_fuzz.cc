// libFuzzer target for the PromQL parser, which parses the `query` parameter
// of every query request. Beyond not crashing: whatever parses must print
// (Format) to text that parses again to the same text.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promql/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view query(reinterpret_cast<const char*>(data), size);
  auto expr = mytsdb::promql::ParseExpr(query);
  if (!expr.ok()) return 0;
  std::string printed = mytsdb::promql::Format(**expr);
  auto again = mytsdb::promql::ParseExpr(printed);
  // Printing adds parentheses, so a query near the nesting limit may print
  // to one beyond it; that is the limit working, not a bug.
  if (!again.ok() && again.status().message().find("nested too deeply") != std::string::npos) {
    return 0;
  }
  if (!again.ok()) {
    std::fprintf(stderr, "printed form does not parse: %s\n  %s\n", printed.c_str(),
                 again.status().ToString().c_str());
    std::abort();
  }
  std::string printed_again = mytsdb::promql::Format(**again);
  if (printed_again != printed) {
    std::fprintf(stderr, "printing is not stable:\n  %s\n  %s\n", printed.c_str(),
                 printed_again.c_str());
    std::abort();
  }
  return 0;
}
