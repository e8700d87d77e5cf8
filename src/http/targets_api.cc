#include "http/targets_api.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>

#include "common/time_format.h"
#include "http/api_util.h"
#include "model/duration.h"
#include "promql/selector_parser.h"
#include "scrape/scrape_manager.h"

namespace mytsdb::http {

namespace {

void WriteActive(JsonWriter& w, const scrape::TargetStatus& t) {
  w.StartObject();
  w.Key("discoveredLabels");
  WriteLabelObject(w, t.discovered_labels);
  w.Key("labels");
  WriteLabelObject(w, t.labels);
  w.Key("scrapePool");
  WriteString(w, t.scrape_pool);
  w.Key("scrapeUrl");
  WriteString(w, t.scrape_url);
  w.Key("globalUrl");
  WriteString(w, t.scrape_url);
  w.Key("lastError");
  WriteString(w, t.last_error);
  w.Key("lastScrape");
  WriteString(w, GoJsonTime(t.last_scrape_ms));
  w.Key("lastScrapeDuration");
  w.Double(t.last_scrape_duration_seconds);
  w.Key("health");
  w.String(scrape::HealthName(t.health));
  w.Key("scrapeInterval");
  WriteString(w, model::FormatDuration(t.scrape_interval_ms));
  w.Key("scrapeTimeout");
  WriteString(w, model::FormatDuration(t.scrape_timeout_ms));
  w.EndObject();
}

void Reply(Response& res, const rapidjson::StringBuffer& data) { WriteApiSuccess(res, std::string_view(data.GetString(), data.GetSize())); }

void HandleTargets(const scrape::ScrapeManager* manager, const Request& req, Response& res) {
  std::string state = ParamValue(req, "state");
  std::transform(state.begin(), state.end(), state.begin(), [](unsigned char c) { return std::tolower(c); });
  const bool active = state.empty() || state == "any" || state == "active";
  const bool dropped = state.empty() || state == "any" || state == "dropped";
  const std::string pool = ParamValue(req, "scrapePool");
  auto in_pool = [&pool](const std::string& p) { return pool.empty() || p == pool; };
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("activeTargets");
  w.StartArray();
  if (active && manager != nullptr) {
    auto targets = manager->ActiveTargets();
    std::sort(targets.begin(), targets.end(), [](const auto& a, const auto& b) {
      return std::tie(a.scrape_pool, a.scrape_url) < std::tie(b.scrape_pool, b.scrape_url);
    });
    for (const auto& t : targets) {
      if (in_pool(t.scrape_pool)) WriteActive(w, t);
    }
  }
  w.EndArray();
  w.Key("droppedTargets");
  w.StartArray();
  if (dropped && manager != nullptr) {
    for (const auto& t : manager->DroppedTargets()) {
      if (!in_pool(t.scrape_pool)) continue;
      w.StartObject();
      w.Key("discoveredLabels");
      WriteLabelObject(w, t.discovered_labels);
      w.Key("scrapePool");
      WriteString(w, t.scrape_pool);
      w.EndObject();
    }
  }
  w.EndArray();
  w.Key("droppedTargetCounts");
  w.StartObject();
  if (manager != nullptr) {
    for (const auto& [name, count] : manager->DroppedTargetCounts()) {
      if (!in_pool(name)) continue;
      WriteString(w, name);
      w.Uint64(count);
    }
  }
  w.EndObject();
  w.EndObject();
  Reply(res, buf);
}

void HandleTargetMetadata(const scrape::ScrapeManager* manager, const Request& req, Response& res) {
  int64_t limit = -1;
  if (const std::string l = ParamValue(req, "limit"); !l.empty()) {
    const auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), limit);
    if (ec != std::errc() || end != l.data() + l.size()) {
      return WriteApiError(res, 400, "bad_data", "limit must be a number");
    }
  }
  model::Matchers matchers;
  if (const std::string match = ParamValue(req, "match_target"); !match.empty()) {
    auto parsed = promql::ParseSeriesSelector(match);
    if (!parsed.ok()) return WriteApiError(res, 400, "bad_data", parsed.status().message());
    matchers = *std::move(parsed);
  }
  const std::string metric = ParamValue(req, "metric");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  int64_t written = 0;
  if (manager != nullptr) {
    for (const auto& m : manager->Metadata()) {
      if (limit >= 0 && written >= limit) break;
      if (!metric.empty() && m.family.name != metric) continue;
      const bool matches = std::all_of(matchers.begin(), matchers.end(),
                                       [&m](const model::Matcher& x) { return x.Matches(m.target.Get(x.name())); });
      if (!matches) continue;
      w.StartObject();
      w.Key("target");
      WriteLabelObject(w, m.target);
      if (metric.empty()) {
        w.Key("metric");
        WriteString(w, m.family.name);
      }
      w.Key("type");
      WriteString(w, m.family.type.empty() ? "unknown" : m.family.type);
      w.Key("help");
      WriteString(w, m.family.help);
      w.Key("unit");
      WriteString(w, m.family.unit);
      w.EndObject();
      ++written;
    }
  }
  w.EndArray();
  Reply(res, buf);
}

void HandleScrapePools(const scrape::ScrapeManager* manager, Response& res) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("scrapePools");
  w.StartArray();
  if (manager != nullptr) {
    for (const auto& name : manager->PoolNames()) WriteString(w, name);
  }
  w.EndArray();
  w.EndObject();
  Reply(res, buf);
}

}  // namespace

void AddTargetsApi(Server* server, std::function<const scrape::ScrapeManager*()> get) {
  for (const char* method : {"GET", "POST"}) {
    server->AddRoute(method, "/api/v1/targets", "/api/v1/targets",
                     [get](const Request& req, Response& res) { HandleTargets(get(), req, res); }, Server::Pool::kQuery);
    server->AddRoute(method, "/api/v1/targets/metadata", "/api/v1/targets/metadata",
                     [get](const Request& req, Response& res) { HandleTargetMetadata(get(), req, res); },
                     Server::Pool::kQuery);
    server->AddRoute(method, "/api/v1/scrape_pools", "/api/v1/scrape_pools",
                     [get](const Request&, Response& res) { HandleScrapePools(get(), res); }, Server::Pool::kQuery);
  }
}

}  // namespace mytsdb::http
