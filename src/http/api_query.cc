// The PromQL endpoints of the Prometheus HTTP API: /api/v1/query,
// /api/v1/query_range, /api/v1/format_query, /api/v1/parse_query and
// /api/v1/query_exemplars,
// with Prometheus's JSON shapes, error types and status codes (bad_data
// 400, execution 422, timeout 503).
#include "http/message.h"
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

#include "http/api_util.h"
#include "http/params.h"
#include "http/server.h"
#include "query/storage_queryable.h"
#include "promql/engine.h"
#include "promql/parser.h"

namespace mytsdb::http {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// A timestamp as Prometheus writes it: seconds, with the milliseconds as a
// fraction only when there are any (1700000000, 1700000000.5).
void WriteTime(JsonWriter& w, int64_t ms) {
  // to_chars rather than snprintf: with a point per step and series, the
  // formatting was a tenth of a small range query's CPU.
  // Before the epoch the sign is written first and the digits are those of
  // the magnitude (-1500 ms is -1.5, as Prometheus writes it).
  char buf[40];
  char* end = buf;
  uint64_t magnitude = static_cast<uint64_t>(ms);
  if (ms < 0) {
    *end++ = '-';
    magnitude = 0 - magnitude;
  }
  const uint64_t secs = magnitude / 1000, frac = magnitude % 1000;
  end = std::to_chars(end, buf + sizeof buf - 4, secs).ptr;
  if (frac != 0) {
    *end++ = '.';
    *end++ = static_cast<char>('0' + frac / 100);
    *end++ = static_cast<char>('0' + frac / 10 % 10);
    *end++ = static_cast<char>('0' + frac % 10);
    while (end[-1] == '0') --end;
  }
  w.RawValue(buf, static_cast<size_t>(end - buf), rapidjson::kNumberType);
}

// Sample values are strings in the API ("1.5", "NaN", "+Inf").
void WriteValue(JsonWriter& w, double v) {
  std::string s = promql::FormatFloat(v);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void WriteLabels(JsonWriter& w, const model::Labels& labels) {
  w.StartObject();
  for (const model::Label& l : labels) {
    w.Key(l.name.data(), static_cast<rapidjson::SizeType>(l.name.size()));
    w.String(l.value.data(), static_cast<rapidjson::SizeType>(l.value.size()));
  }
  w.EndObject();
}

void WriteResult(Response& res, const promql::QueryResult& r, const std::vector<std::string>& warnings,
                 const std::vector<std::string>& infos) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("status");
  w.String("success");
  w.Key("data");
  w.StartObject();
  w.Key("resultType");
  switch (r.type) {
    case promql::ValueType::kScalar:
      w.String("scalar");
      w.Key("result");
      w.StartArray();
      WriteTime(w, r.scalar.t);
      WriteValue(w, r.scalar.v);
      w.EndArray();
      break;
    case promql::ValueType::kString:
      w.String("string");
      w.Key("result");
      w.StartArray();
      WriteTime(w, r.string_t);
      w.String(r.string_value.data(), static_cast<rapidjson::SizeType>(r.string_value.size()));
      w.EndArray();
      break;
    case promql::ValueType::kVector:
    case promql::ValueType::kMatrix: {
      bool vector = r.type == promql::ValueType::kVector;
      w.String(vector ? "vector" : "matrix");
      w.Key("result");
      w.StartArray();
      for (const promql::SeriesResult& s : r.series) {
        w.StartObject();
        w.Key("metric");
        WriteLabels(w, s.labels);
        w.Key(vector ? "value" : "values");
        if (!vector) w.StartArray();
        for (const promql::Point& p : s.points) {
          w.StartArray();
          WriteTime(w, p.t);
          WriteValue(w, p.v);
          w.EndArray();
          if (vector) break;
        }
        if (!vector) w.EndArray();
        w.EndObject();
      }
      w.EndArray();
      break;
    }
  }
  w.EndObject();
  for (auto [key, list] : {std::make_pair("warnings", &warnings), std::make_pair("infos", &infos)}) {
    if (list->empty()) continue;
    w.Key(key);
    w.StartArray();
    for (const std::string& s : *list) w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    w.EndArray();
  }
  w.EndObject();
  res.status = 200;
  res.set_content(std::string(buf.GetString(), buf.GetSize()), "application/json");
}

// The engine options of one request: the server's, with the request's
// timeout and lookback_delta.
Result<promql::EngineOptions> RequestEngineOptions(const Request& req, const promql::EngineOptions& base,
                                                   const std::atomic<bool>* cancel) {
  promql::EngineOptions o = base;
  o.cancel.shutdown = cancel;
  o.cancel.client_gone = req.client_gone.get();
  std::string timeout = ParamValue(req, "timeout");
  if (!timeout.empty()) {
    ASSIGN_OR_RETURN(int64_t t, ParseDurationParam("timeout", timeout));
    if (o.timeout_ms == 0 || (t > 0 && t < o.timeout_ms)) o.timeout_ms = t;
  }
  std::string lookback = ParamValue(req, "lookback_delta");
  if (!lookback.empty()) {
    Result<int64_t> l = ParseDurationParam("lookback_delta", lookback);
    if (!l.ok()) return Status::InvalidArgument("error parsing lookback delta duration: " + l.status().message());
    if (*l > 0) o.lookback_ms = *l;
  }
  return o;
}

Result<promql::ExprPtr> ParseQueryParam(const Request& req) {
  Result<promql::ExprPtr> expr = promql::ParseExpr(ParamValue(req, "query"));
  if (!expr.ok()) return Status::InvalidArgument("invalid parameter \"query\": " + expr.status().message());
  return expr;
}

// Evaluation errors as Prometheus reports them.
void WriteQueryError(Response& res, const Status& st) {
  switch (st.code()) {
    case StatusCode::kDeadlineExceeded: return WriteApiError(res, 503, "timeout", st.message());
    case StatusCode::kCancelled: return WriteApiError(res, 503, "canceled", st.message());
    case StatusCode::kIOError:
    case StatusCode::kCorruption:
    case StatusCode::kInternal: return WriteApiError(res, 500, "internal", st.message());
    default: return WriteApiError(res, 422, "execution", st.message());
  }
}

void Truncate(promql::QueryResult* r, size_t limit, std::vector<std::string>* warnings) {
  if (limit == 0 || r->series.size() <= limit) return;
  r->series.resize(limit);
  warnings->push_back("results truncated due to limit");
}

// ---- /api/v1/parse_query: the syntax tree as Prometheus's translateAST
// writes it (keys sorted, as Go's encoding/json writes maps).

const char* ArgTypeName(promql::ValueType t) {
  switch (t) {
    case promql::ValueType::kScalar: return "scalar";
    case promql::ValueType::kVector: return "vector";
    case promql::ValueType::kMatrix: return "matrix";
    case promql::ValueType::kString: return "string";
  }
  return "";
}

const char* MatchTypeName(model::MatchType t) {
  switch (t) {
    case model::MatchType::kEqual: return "=";
    case model::MatchType::kNotEqual: return "!=";
    case model::MatchType::kRegexMatch: return "=~";
    case model::MatchType::kRegexNoMatch: return "!~";
  }
  return "";
}

void WriteStrings(JsonWriter& w, const std::vector<std::string>& list) {
  w.StartArray();
  for (const std::string& x : list) w.String(x.c_str(), static_cast<rapidjson::SizeType>(x.size()));
  w.EndArray();
}

// The selector fields shared by vector and matrix selectors, after "anchored".
void WriteSelectorFields(JsonWriter& w, const promql::VectorSelector& vs) {
  w.Key("matchers");
  w.StartArray();
  // Prometheus appends the matcher of a name written before the braces;
  // MyTSDB's parser puts it first.
  std::vector<const model::Matcher*> ordered;
  for (const model::Matcher& m : vs.matchers) ordered.push_back(&m);
  if (!vs.name.empty() && !ordered.empty()) std::rotate(ordered.begin(), ordered.begin() + 1, ordered.end());
  for (const model::Matcher* mp : ordered) {
    const model::Matcher& m = *mp;
    w.StartObject();
    w.Key("name");
    w.String(m.name().c_str());
    w.Key("type");
    w.String(MatchTypeName(m.type()));
    w.Key("value");
    w.String(m.value().c_str(), static_cast<rapidjson::SizeType>(m.value().size()));
    w.EndObject();
  }
  w.EndArray();
  w.Key("name");
  w.String(vs.name.c_str());
  w.Key("offset");
  w.Int64(vs.offset_ms);
  w.Key("offsetExpr");
  w.Null();
}

void WriteAt(JsonWriter& w, const promql::AtModifier& at) {
  w.Key("startOrEnd");
  if (at.kind == promql::AtModifier::Kind::kStart) {
    w.String("start");
  } else if (at.kind == promql::AtModifier::Kind::kEnd) {
    w.String("end");
  } else {
    w.Null();
  }
  w.Key("timestamp");
  if (at.kind == promql::AtModifier::Kind::kTime) {
    w.Int64(at.time_ms);
  } else {
    w.Null();
  }
}

void WriteTree(JsonWriter& w, const promql::Node* node) {
  using promql::NodeKind;
  if (node == nullptr) {
    w.Null();
    return;
  }
  w.StartObject();
  switch (node->kind) {
    case NodeKind::kAggregate: {
      const auto& a = static_cast<const promql::AggregateExpr&>(*node);
      w.Key("expr");
      WriteTree(w, a.expr.get());
      w.Key("grouping");
      WriteStrings(w, a.grouping);
      w.Key("op");
      w.String(promql::AggregateOpName(a.op));
      w.Key("param");
      WriteTree(w, a.param.get());
      w.Key("type");
      w.String("aggregation");
      w.Key("without");
      w.Bool(a.without);
      break;
    }
    case NodeKind::kBinary: {
      const auto& b = static_cast<const promql::BinaryExpr&>(*node);
      w.Key("bool");
      w.Bool(b.return_bool);
      w.Key("lhs");
      WriteTree(w, b.lhs.get());
      w.Key("matching");
      if (b.matching) {
        static const char* kCard[] = {"one-to-one", "many-to-one", "one-to-many", "many-to-many"};
        w.StartObject();
        w.Key("card");
        w.String(kCard[static_cast<int>(b.matching->card)]);
        w.Key("fillValues");
        w.StartObject();
        w.Key("lhs");
        w.Null();
        w.Key("rhs");
        w.Null();
        w.EndObject();
        w.Key("include");
        WriteStrings(w, b.matching->include);
        w.Key("labels");
        WriteStrings(w, b.matching->labels);
        w.Key("on");
        w.Bool(b.matching->on);
        w.EndObject();
      } else {
        w.Null();
      }
      w.Key("op");
      w.String(promql::BinaryOpName(b.op));
      w.Key("rhs");
      WriteTree(w, b.rhs.get());
      w.Key("type");
      w.String("binaryExpr");
      break;
    }
    case NodeKind::kCall: {
      const auto& c = static_cast<const promql::Call&>(*node);
      w.Key("args");
      w.StartArray();
      for (const auto& arg : c.args) WriteTree(w, arg.get());
      w.EndArray();
      w.Key("func");
      w.StartObject();
      w.Key("argTypes");
      w.StartArray();
      for (promql::ValueType t : c.func->arg_types) w.String(ArgTypeName(t));
      w.EndArray();
      w.Key("name");
      w.String(c.func->name);
      w.Key("returnType");
      w.String(ArgTypeName(c.func->return_type));
      w.Key("variadic");
      w.Int(c.func->variadic);
      w.EndObject();
      w.Key("type");
      w.String("call");
      break;
    }
    case NodeKind::kMatrixSelector: {
      const auto& m = static_cast<const promql::MatrixSelector&>(*node);
      w.Key("anchored");
      w.Bool(false);
      WriteSelectorFields(w, *m.selector);
      w.Key("range");
      w.Int64(m.range_ms);
      w.Key("rangeExpr");
      w.Null();
      w.Key("smoothed");
      w.Bool(false);
      WriteAt(w, m.selector->at);
      w.Key("type");
      w.String("matrixSelector");
      break;
    }
    case NodeKind::kSubquery: {
      const auto& q = static_cast<const promql::SubqueryExpr&>(*node);
      w.Key("expr");
      WriteTree(w, q.expr.get());
      w.Key("offset");
      w.Int64(q.offset_ms);
      w.Key("offsetExpr");
      w.Null();
      w.Key("range");
      w.Int64(q.range_ms);
      w.Key("rangeExpr");
      w.Null();
      WriteAt(w, q.at);
      w.Key("step");
      w.Int64(q.step_ms);
      w.Key("stepExpr");
      w.Null();
      w.Key("type");
      w.String("subquery");
      break;
    }
    case NodeKind::kNumber: {
      w.Key("type");
      w.String("numberLiteral");
      w.Key("val");
      std::string v = promql::FormatFloat(static_cast<const promql::NumberLiteral&>(*node).value);
      w.String(v.c_str());
      break;
    }
    case NodeKind::kParen:
      w.Key("expr");
      WriteTree(w, static_cast<const promql::ParenExpr&>(*node).expr.get());
      w.Key("type");
      w.String("parenExpr");
      break;
    case NodeKind::kString: {
      const std::string& v = static_cast<const promql::StringLiteral&>(*node).value;
      w.Key("type");
      w.String("stringLiteral");
      w.Key("val");
      w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
      break;
    }
    case NodeKind::kUnary: {
      const auto& u = static_cast<const promql::UnaryExpr&>(*node);
      w.Key("expr");
      WriteTree(w, u.expr.get());
      w.Key("op");
      w.String(u.op == '-' ? "-" : "+");
      w.Key("type");
      w.String("unaryExpr");
      break;
    }
    case NodeKind::kVectorSelector: {
      const auto& vs = static_cast<const promql::VectorSelector&>(*node);
      w.Key("anchored");
      w.Bool(false);
      WriteSelectorFields(w, vs);
      w.Key("smoothed");
      w.Bool(false);
      WriteAt(w, vs.at);
      w.Key("type");
      w.String("vectorSelector");
      break;
    }
  }
  w.EndObject();
}

}  // namespace

void Server::HandleParseQuery(const Request& req, Response& res) {
  auto expr = ParseQueryParam(req);
  if (!expr.ok()) return WriteApiError(res, 400, "bad_data", expr.status().message());
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteTree(w, expr->get());
  WriteApiSuccess(res, buf.GetString());
}

void Server::HandleQuery(const Request& req, Response& res) {
  storage::Storage* storage = StorageOr503(res);
  if (storage == nullptr) return;
  auto limit = ParseLimitParam(ParamValue(req, "limit"));
  if (!limit.ok()) return WriteApiError(res, 400, "bad_data", limit.status().message());
  int64_t t;
  std::string time = ParamValue(req, "time");
  if (time.empty()) {
    t = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch()).count();
  } else {
    auto parsed = ParseTimeParam("time", time);
    if (!parsed.ok()) return WriteApiError(res, 400, "bad_data", parsed.status().message());
    t = *parsed;
  }
  auto options = RequestEngineOptions(req, options_.engine, &cancel_queries_);
  if (!options.ok()) return WriteApiError(res, 400, "bad_data", options.status().message());
  auto expr = ParseQueryParam(req);
  if (!expr.ok()) return WriteApiError(res, 400, "bad_data", expr.status().message());
  query::StorageQueryable data(*storage);
  auto result = promql::Engine(*options).Instant(data, **expr, t);
  if (!result.ok()) return WriteQueryError(res, result.status());
  std::string query = ParamValue(req, "query");
  std::vector<std::string> warnings = promql::AnnotationStrings(*result, query, true);
  Truncate(&*result, *limit, &warnings);
  WriteResult(res, *result, warnings, promql::AnnotationStrings(*result, query, false));
}

void Server::HandleQueryRange(const Request& req, Response& res) {
  storage::Storage* storage = StorageOr503(res);
  if (storage == nullptr) return;
  auto limit = ParseLimitParam(ParamValue(req, "limit"));
  if (!limit.ok()) return WriteApiError(res, 400, "bad_data", limit.status().message());
  auto start = ParseTimeParam("start", ParamValue(req, "start"));
  if (!start.ok()) return WriteApiError(res, 400, "bad_data", start.status().message());
  auto end = ParseTimeParam("end", ParamValue(req, "end"));
  if (!end.ok()) return WriteApiError(res, 400, "bad_data", end.status().message());
  if (*end < *start) {
    return WriteApiError(res, 400, "bad_data", "invalid parameter \"end\": end timestamp must not be before start time");
  }
  auto step = ParseDurationParam("step", ParamValue(req, "step"));
  if (!step.ok()) return WriteApiError(res, 400, "bad_data", step.status().message());
  if (*step <= 0) {
    return WriteApiError(res, 400, "bad_data",
                         "invalid parameter \"step\": zero or negative query resolution step widths are not "
                         "accepted. Try a positive integer");
  }
  // As Prometheus: enough for a week at 60 s or a year at 1 h.
  if ((static_cast<__int128>(*end) - *start) / *step > 11000) {
    return WriteApiError(res, 400, "bad_data",
                         "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
                         "resolution (?step=XX)");
  }
  auto options = RequestEngineOptions(req, options_.engine, &cancel_queries_);
  if (!options.ok()) return WriteApiError(res, 400, "bad_data", options.status().message());
  auto expr = ParseQueryParam(req);
  if (!expr.ok()) return WriteApiError(res, 400, "bad_data", expr.status().message());
  promql::ValueType type = (*expr)->type();
  if (type != promql::ValueType::kScalar && type != promql::ValueType::kVector) {
    return WriteApiError(res, 400, "bad_data",
                         std::string("invalid parameter \"query\": invalid expression type \"") +
                             promql::ValueTypeName(type) + "\" for range query, must be Scalar or instant Vector");
  }
  query::StorageQueryable data(*storage);
  auto result = promql::Engine(*options).Range(data, **expr, *start, *end, *step);
  if (!result.ok()) return WriteQueryError(res, result.status());
  std::string query = ParamValue(req, "query");
  std::vector<std::string> warnings = promql::AnnotationStrings(*result, query, true);
  Truncate(&*result, *limit, &warnings);
  WriteResult(res, *result, warnings, promql::AnnotationStrings(*result, query, false));
}

void Server::HandleFormatQuery(const Request& req, Response& res) {
  auto expr = ParseQueryParam(req);
  if (!expr.ok()) return WriteApiError(res, 400, "bad_data", expr.status().message());
  std::string text = promql::Format(**expr);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  WriteApiSuccess(res, buf.GetString());
}

void Server::HandleQueryExemplars(const Request& req, Response& res) {
  // MyTSDB drops exemplars at ingestion, so there are none; the query and
  // the time range are still checked as Prometheus checks them.
  auto expr = ParseQueryParam(req);
  if (!expr.ok()) return WriteApiError(res, 400, "bad_data", expr.status().message());
  auto range = ParseTimeRange(ParamValue(req, "start"), ParamValue(req, "end"));
  if (!range.ok()) return WriteApiError(res, 400, "bad_data", range.status().message());
  WriteApiSuccess(res, "[]");
}

}  // namespace mytsdb::http
