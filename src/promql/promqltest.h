// A runner for Prometheus's PromQL test scripts (the `.test` files of
// promql/promqltest, kept in ../shared/conformance/promql): `load`, `clear`,
// `eval instant|range` with expected results and `expect` directives.
//
// It applies the reference harness's rules: values compare with a relative
// tolerance of 1e-6 (NaN equals NaN, a staleness marker only itself); every
// instant eval is also run with `@ <t>` set on each selector (at the times
// the reference uses) and as a range query from t-1m to t+1m at 1m step,
// and all of them must agree with the expectation.
//
// Every eval becomes one Case, classified so that reports can keep apart
// what MyTSDB promises (stable float PromQL) from native histograms and
// experimental language features. Annotations (`expect warn|info`,
// `no_warn`, `no_info`, `eval_warn`, `eval_info`) are checked as the
// reference checks them, positions included.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "promql/engine.h"

namespace mytsdb::promql::test {

enum class CaseClass {
  kStable,           // float-only, stable PromQL: must pass
  kGrafanaExperimental,  // limitk/limit_ratio, sort_by_label*, double_exponential_smoothing
  kExperimental,     // other experimental features (files and functions)
  kNativeHistogram,  // reads or expects native histograms
};
const char* CaseClassName(CaseClass c);

struct Case {
  int line = 0;
  std::string expr;
  CaseClass cls = CaseClass::kStable;
  bool passed = false;
  bool expects_annotations = false;  // states an expectation about annotations
  std::string error;                 // why it failed
};

struct FileOptions {
  // Files whose every case is experimental (newer language features).
  bool experimental_file = false;
};

// Runs one test script. An error means the script itself could not be
// read (a syntax error in the DSL); failing evals are reported in the cases.
Result<std::vector<Case>> RunScript(std::string_view script, const FileOptions& options);

// Whether a file of the conformance set is about experimental features.
bool IsExperimentalFile(std::string_view file_name);

}  // namespace mytsdb::promql::test
