// Samples shown as one line each ("__name__=a,b=c 1 @2"), for the parser
// tables of the scrape tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "scrape/exposition.h"

namespace mytsdb::scrape {

inline std::string Show(const ScrapedSample& s) {
  std::string out;
  for (const auto& l : s.labels) out += (out.empty() ? "" : ",") + l.name + "=" + l.value;
  char value[64];
  std::snprintf(value, sizeof value, " %.17g", s.value);
  out += value;
  if (s.timestamp_ms) out += " @" + std::to_string(*s.timestamp_ms);
  return out;
}

// The body's samples as `format` reads them; a parse error fails the test.
inline std::vector<std::string> SamplesOf(std::string_view body, Format format) {
  auto parsed = Parse(body, format);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << body;
  std::vector<std::string> out;
  if (parsed.ok()) {
    for (const auto& s : parsed->samples) out.push_back(Show(s));
  }
  return out;
}

}  // namespace mytsdb::scrape
