// The evaluator's working representation: the value of an expression at
// every step of a query (dense per series), and small helpers the
// evaluator's parts share.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/labels.h"
#include "promql/ast.h"

namespace mytsdb::promql {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One series evaluated at every step: v[i] is valid where has[i].
struct StepSeries {
  model::Labels labels;
  // With delayed name removal: the name goes when the query ends.
  bool drop_name = false;
  std::vector<double> v;
  std::vector<uint8_t> has;
};

// The value of an expression at every step.
struct Value {
  ValueType type = ValueType::kVector;
  std::vector<double> scalar;       // kScalar: one per step
  std::vector<StepSeries> series;   // kVector
  std::string str;                  // kString
};

// A float as Go's %g writes it: shortest digits, exponent form below 1e-4
// or from 1e21 ("1.1", "1e+21", "NaN", "+Inf").
std::string GoG(double v);

// The expression inside any number of parentheses.
const Node& Unparen(const Node& n);

// The labels without the metric name.
model::Labels DropName(const model::Labels& l);

}  // namespace mytsdb::promql
