#include "promql/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace mytsdb::promql {

std::string GoG(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t e = sci.find('e');
  int exp = std::atoi(sci.c_str() + e + 1);
  if (exp < -4 || exp >= 21) {
    std::string mant = sci.substr(0, e);
    char ebuf[16];
    std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return mant + ebuf;
  }
  return FormatFloat(v);
}

const Node& Unparen(const Node& n) {
  const Node* p = &n;
  while (p->kind == NodeKind::kParen) p = static_cast<const ParenExpr*>(p)->expr.get();
  return *p;
}

model::Labels DropName(const model::Labels& l) {
  std::vector<model::Label> out;
  for (const model::Label& x : l) {
    if (x.name != model::kMetricNameLabel) out.push_back(x);
  }
  return model::Labels::FromSorted(std::move(out));
}

}  // namespace mytsdb::promql
