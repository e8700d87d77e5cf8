// Runs Prometheus's PromQL test suite (../shared/conformance/promql) through
// promqltest.h and holds MyTSDB to it: every stable float case and every
// case of the experimental functions Grafana users rely on must pass.
// Native-histogram and other experimental cases are counted and reported.
//
// Cases that are known to fail are listed with the reason in
// conformance_known_failures.txt; a listed case that passes fails this test,
// so the list only ever shrinks.
//
// MYTSDB_CONFORMANCE_REPORT=<file> writes the per-file table as Markdown
// (docs/PROMQL.md embeds it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "promql/promqltest.h"

namespace mytsdb::promql::test {
namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PromqlTestRunner, PassesACorrectScriptAndFailsAWrongOne) {
  const char* good = R"(
load 1m
  m{a="x"} 0+10x5 _ stale

eval instant at 3m m
  m{a="x"} 30

eval range from 0 to 8m step 2m m
  m{a="x"} 0 20 40 50 _

eval instant at 1m sum(m)
  {} 10

eval instant at 0 1 + 1
  2

eval instant at 5m rate(m[5m])
  expect info msg: PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "m" (1:6)
  {a="x"} 0.16666666666666666
)";
  auto cases = RunScript(good, {});
  ASSERT_TRUE(cases.ok()) << cases.status().ToString();
  ASSERT_EQ(cases->size(), 5u);
  for (const Case& c : *cases) EXPECT_TRUE(c.passed) << c.line << " " << c.expr << ": " << c.error;

  const char* wrong = R"(
load 1m
  m 0+10x5

eval instant at 3m m
  m 31

eval instant at 3m m
  m 30
  other 1

eval range from 0 to 2m step 1m m
  m 0 10

eval instant at 3m m
  expect fail

eval instant at 3m rate(m[5m])
  expect no_info
  {} 0.16666666666666666

eval_warn instant at 3m m
  m 30
)";
  auto bad = RunScript(wrong, {});
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  ASSERT_EQ(bad->size(), 6u);
  for (const Case& c : *bad) EXPECT_FALSE(c.passed) << c.line << " " << c.expr;
}

TEST(PromqlTestRunner, ClassifiesCases) {
  const char* script = R"(
load 1m
  h {{schema:0 sum:1 count:1}}x3
  f 1 2 3

eval instant at 1m h
  h {{schema:0 sum:1 count:1}}

eval instant at 1m limitk(1, f)
  f 2

eval instant at 1m mad_over_time(f[5m])
  {} 0.5

eval instant at 1m f
  f 2
)";
  auto cases = RunScript(script, {});
  ASSERT_TRUE(cases.ok()) << cases.status().ToString();
  ASSERT_EQ(cases->size(), 4u);
  EXPECT_EQ((*cases)[0].cls, CaseClass::kNativeHistogram);
  EXPECT_EQ((*cases)[1].cls, CaseClass::kGrafanaExperimental);
  EXPECT_EQ((*cases)[2].cls, CaseClass::kExperimental);
  EXPECT_EQ((*cases)[3].cls, CaseClass::kStable);
}

TEST(PromqlTestRunner, RejectsMalformedScripts) {
  EXPECT_FALSE(RunScript("load 1m\n  m 1 2 q\n", {}).ok());
  EXPECT_FALSE(RunScript("frobnicate\n", {}).ok());
}

struct Tally {
  int total = 0;
  int passed = 0;
};

TEST(PromqlConformance, PrometheusTestSuite) {
  std::filesystem::path dir = MYTSDB_CONFORMANCE_DIR;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir << " is missing: the conformance data lives beside the repository";

  // file:line -> reason
  std::map<std::string, std::string> known;
  {
    std::ifstream in(std::filesystem::path(MYTSDB_SOURCE_DIR) / "src/promql/conformance_known_failures.txt");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      size_t sp = line.find(' ');
      known[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(sp + 1);
    }
  }

  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".test") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());

  constexpr int kClasses = 4;
  std::map<std::string, std::array<Tally, kClasses>> per_file;
  std::array<Tally, kClasses> total{};
  std::vector<std::string> unexpected_failures, unexpected_passes;
  int annotation_cases = 0;
  for (const auto& path : files) {
    std::string name = path.stem().string();
    FileOptions options;
    options.experimental_file = IsExperimentalFile(name);
    auto cases = RunScript(ReadFile(path), options);
    ASSERT_TRUE(cases.ok()) << path << ": " << cases.status().ToString();
    auto& tallies = per_file[name];
    for (const Case& c : *cases) {
      int k = static_cast<int>(c.cls);
      ++tallies[k].total;
      ++total[k].total;
      if (c.passed) {
        ++tallies[k].passed;
        ++total[k].passed;
      }
      if (c.expects_annotations) ++annotation_cases;
      bool must_pass = c.cls == CaseClass::kStable || c.cls == CaseClass::kGrafanaExperimental;
      std::string key = name + ":" + std::to_string(c.line);
      bool listed = known.count(key) > 0;
      if (must_pass && !c.passed && !listed) {
        unexpected_failures.push_back(key + " [" + CaseClassName(c.cls) + "] " + c.expr + "\n      " + c.error);
      }
      if (listed && c.passed) unexpected_passes.push_back(key + " " + c.expr);
    }
  }

  std::ostringstream table;
  table << "| file | stable | experimental (Grafana) | experimental | native histograms |\n"
        << "|---|---|---|---|---|\n";
  auto cell = [](const Tally& t) {
    return t.total == 0 ? std::string("–") : std::to_string(t.passed) + "/" + std::to_string(t.total);
  };
  for (const auto& [name, t] : per_file) {
    table << "| " << name << " | " << cell(t[0]) << " | " << cell(t[1]) << " | " << cell(t[2]) << " | "
          << cell(t[3]) << " |\n";
  }
  table << "| **total** | **" << cell(total[0]) << "** | **" << cell(total[1]) << "** | **" << cell(total[2])
        << "** | **" << cell(total[3]) << "** |\n";
  std::cout << table.str() << "\nCases that state expectations about annotations (checked): "
            << annotation_cases << "\n";
  if (const char* report = std::getenv("MYTSDB_CONFORMANCE_REPORT")) {
    std::ofstream(report) << table.str();
  }

  // The suite must run as a whole: a parser change that made the runner skip
  // cases would otherwise pass vacuously. These are the counts of
  // ../shared/conformance/promql as it is; if the suite itself is updated,
  // update them with it (docs/PROMQL.md has the table).
  EXPECT_EQ(total[static_cast<int>(CaseClass::kStable)].total, 862) << "stable cases run";
  EXPECT_EQ(total[static_cast<int>(CaseClass::kGrafanaExperimental)].total, 17)
      << "Grafana-relevant experimental cases run";

  std::string failures;
  for (const std::string& f : unexpected_failures) failures += "  " + f + "\n";
  EXPECT_TRUE(unexpected_failures.empty()) << unexpected_failures.size() << " stable cases fail:\n" << failures;
  std::string passes;
  for (const std::string& p : unexpected_passes) passes += "  " + p + "\n";
  EXPECT_TRUE(unexpected_passes.empty())
      << "listed as known failures but pass now (remove them from conformance_known_failures.txt):\n" << passes;
}

}  // namespace
}  // namespace mytsdb::promql::test
