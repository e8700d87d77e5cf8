#include "http/search_api.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <set>

#include "http/api_util.h"
#include "promql/selector_parser.h"
#include "search/search_service.h"

namespace mytsdb::http {

namespace {

constexpr size_t kMaxQuestionBytes = 1024;
constexpr size_t kMaxLimit = 100;

Result<search::SearchRequest> ParseRequest(const Request& req) {
  static const std::set<std::string, std::less<>> kKnown = {"q", "limit", "type", "match[]", "mode"};
  for (const auto& [name, value] : req.params) {
    if (!kKnown.count(name)) {
      return Status::InvalidArgument("unknown parameter \"" + name + "\": use q, limit, type, match[] or mode");
    }
  }
  search::SearchRequest r;
  r.question = ParamValue(req, "q");
  if (r.question.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("missing parameter \"q\": the question to search for");
  }
  if (r.question.size() > kMaxQuestionBytes) {
    return Status::InvalidArgument("parameter \"q\" is " + std::to_string(r.question.size()) + " bytes, at most " +
                                   std::to_string(kMaxQuestionBytes));
  }
  if (req.has_param("limit")) {
    const std::string limit = ParamValue(req, "limit");
    size_t n = 0;
    auto parsed = std::from_chars(limit.data(), limit.data() + limit.size(), n);
    if (parsed.ec != std::errc() || parsed.ptr != limit.data() + limit.size() || n < 1 || n > kMaxLimit) {
      return Status::InvalidArgument("invalid parameter \"limit\": \"" + limit + "\" is not a number from 1 to " +
                                     std::to_string(kMaxLimit));
    }
    r.limit = n;
  }
  static const std::set<std::string, std::less<>> kTypes = {"counter", "gauge", "histogram", "gaugehistogram",
                                                             "summary", "info", "stateset", "unknown"};
  r.type = ParamValue(req, "type");
  if (req.has_param("type") && !kTypes.count(r.type)) {
    return Status::InvalidArgument("invalid parameter \"type\": \"" + r.type +
                                   "\" is none of counter, gauge, histogram, gaugehistogram, summary, info, "
                                   "stateset, unknown");
  }
  for (const std::string& selector : ParamValues(req, "match[]")) {
    auto matchers = promql::ParseSeriesSelector(selector);
    if (!matchers.ok()) {
      return Status::InvalidArgument("invalid parameter \"match[]\": " + matchers.status().message());
    }
    r.selectors.push_back(std::move(*matchers));
  }
  if (req.has_param("mode")) {
    const std::string mode = ParamValue(req, "mode");
    if (mode == "hybrid") {
      r.mode = search::RankMode::kHybrid;
    } else if (mode == "semantic") {
      r.mode = search::RankMode::kSemantic;
    } else if (mode == "lexical") {
      r.mode = search::RankMode::kLexical;
    } else {
      return Status::InvalidArgument("invalid parameter \"mode\": \"" + mode +
                                     "\" is none of hybrid, semantic, lexical");
    }
  }
  return r;
}

void WriteHit(JsonWriter& w, const search::SearchHit& hit) {
  w.StartObject();
  w.Key("metric");
  WriteString(w, hit.metric.name);
  w.Key("score");
  w.Double(hit.rank.score);
  w.Key("semantic");
  w.Double(hit.rank.semantic);
  w.Key("lexical");
  w.Double(hit.rank.lexical);
  w.Key("type");
  WriteString(w, hit.metric.type);
  w.Key("unit");
  WriteString(w, hit.metric.unit);
  w.Key("help");
  WriteString(w, hit.metric.help);
  w.Key("series");
  w.Uint64(hit.metric.series);
  w.Key("metric_names");
  w.StartArray();
  for (const std::string& n : hit.metric.metric_names) WriteString(w, n);
  w.EndArray();
  w.Key("labels");
  w.StartArray();
  for (const search::LabelSummary& label : hit.metric.labels) {
    w.StartObject();
    w.Key("name");
    WriteString(w, label.name);
    w.Key("distinct_values");
    w.Uint64(label.distinct_values);
    w.Key("top_values");
    w.StartArray();
    for (const auto& [value, series] : label.top_values) {
      w.StartObject();
      w.Key("value");
      WriteString(w, value);
      w.Key("series");
      w.Uint64(series);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("query");
  WriteString(w, hit.query);
  w.EndObject();
}

}  // namespace

void AddSearchApi(Server* server, std::function<search::SearchService*(std::string* why_not)> get) {
  auto handler = [get](const Request& req, Response& res) {
    // Bad input is a 400 whether or not search is running.
    Result<search::SearchRequest> request = ParseRequest(req);
    if (!request.ok()) return WriteApiError(res, 400, "bad_data", request.status().message());
    std::string why_not;
    search::SearchService* service = get(&why_not);
    if (service == nullptr) return WriteApiError(res, 503, "unavailable", why_not);
    std::vector<std::string> warnings;
    Result<std::vector<search::SearchHit>> hits = service->Search(*request, &warnings);
    if (!hits.ok()) {
      // A semantic search whose question the embeddings endpoint would not embed.
      if (hits.status().code() == StatusCode::kUnavailable) {
        return WriteApiError(res, 503, "unavailable", hits.status().message());
      }
      return WriteApiError(res, 500, "internal", hits.status().message());
    }
    const search::SearchStats stats = service->stats();
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("status");
    w.String("success");
    w.Key("data");
    w.StartArray();
    for (const search::SearchHit& hit : *hits) WriteHit(w, hit);
    w.EndArray();
    if (stats.indexed < stats.families || stats.refreshes == 0) {
      warnings.push_back(stats.refreshes == 0 ? "the search index is starting: results may be incomplete"
                                              : "the search index is being built: " + std::to_string(stats.indexed) +
                                                    " of " + std::to_string(stats.families) +
                                                    " metric families embedded");
    }
    if (!warnings.empty()) {
      w.Key("warnings");
      w.StartArray();
      for (const std::string& warning : warnings) WriteString(w, warning);
      w.EndArray();
    }
    w.EndObject();
    res.status = 200;
    res.set_content(std::string(buf.GetString(), buf.GetSize()), "application/json");
  };
  server->AddRoute("GET", "/api/v1/search", "/api/v1/search", handler, Server::Pool::kQuery);
  server->AddRoute("POST", "/api/v1/search", "/api/v1/search", handler, Server::Pool::kQuery);

  auto embedding = [get](const Request& req, Response& res) {
    for (const auto& [name, value] : req.params) {
      if (name != "q") return WriteApiError(res, 400, "bad_data", "unknown parameter \"" + name + "\": use q");
    }
    const std::string q = ParamValue(req, "q");
    if (q.size() > kMaxQuestionBytes) {
      return WriteApiError(res, 400, "bad_data",
                           "parameter \"q\" is " + std::to_string(q.size()) + " bytes, at most " +
                               std::to_string(kMaxQuestionBytes));
    }
    std::string why_not;
    search::SearchService* service = get(&why_not);
    if (service == nullptr) return WriteApiError(res, 503, "unavailable", why_not);
    const Result<std::vector<float>> embedded = service->EmbedQuestion(q);
    if (!embedded.ok()) return WriteApiError(res, 503, "unavailable", embedded.status().message());
    const std::vector<float>& v = *embedded;
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("model");
    WriteString(w, service->model_name());
    w.Key("dimension");
    w.Uint64(v.size());
    w.Key("embedding");
    w.StartArray();
    for (float x : v) w.Double(x);
    w.EndArray();
    w.EndObject();
    WriteApiSuccess(res, std::string_view(buf.GetString(), buf.GetSize()));
  };
  server->AddRoute("GET", "/api/v1/search/embedding", "/api/v1/search/embedding", embedding, Server::Pool::kQuery);
  server->AddRoute("POST", "/api/v1/search/embedding", "/api/v1/search/embedding", embedding, Server::Pool::kQuery);
}

}  // namespace mytsdb::http
