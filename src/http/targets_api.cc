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

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void String(JsonWriter& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

template <typename Labels>
void LabelObject(JsonWriter& w, const Labels& labels) {
  w.StartObject();
  for (const auto& l : labels) {
    if constexpr (requires { l.name; }) {
      String(w, l.name);
      String(w, l.value);
    } else {
      String(w, l.first);
      String(w, l.second);
    }
  }
  w.EndObject();
}

// Go's time.Time in JSON; its zero time for "never".
std::string GoJsonTime(int64_t ms) { return ms == 0 ? "0001-01-01T00:00:00Z" : FormatUtcMs(ms, true) + "Z"; }

void WriteActive(JsonWriter& w, const scrape::TargetStatus& t) {
  w.StartObject();
  w.Key("discoveredLabels");
  LabelObject(w, t.discovered_labels);
  w.Key("labels");
  LabelObject(w, t.labels);
  w.Key("scrapePool");
  String(w, t.scrape_pool);
  w.Key("scrapeUrl");
  String(w, t.scrape_url);
  w.Key("globalUrl");
  String(w, t.scrape_url);
  w.Key("lastError");
  String(w, t.last_error);
  w.Key("lastScrape");
  String(w, GoJsonTime(t.last_scrape_ms));
  w.Key("lastScrapeDuration");
  w.Double(t.last_scrape_duration_seconds);
  w.Key("health");
  w.String(scrape::HealthName(t.health));
  w.Key("scrapeInterval");
  String(w, model::FormatDuration(t.scrape_interval_ms));
  w.Key("scrapeTimeout");
  String(w, model::FormatDuration(t.scrape_timeout_ms));
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
      LabelObject(w, t.discovered_labels);
      w.Key("scrapePool");
      String(w, t.scrape_pool);
      w.EndObject();
    }
  }
  w.EndArray();
  w.Key("droppedTargetCounts");
  w.StartObject();
  if (manager != nullptr) {
    for (const auto& [name, count] : manager->DroppedTargetCounts()) {
      if (!in_pool(name)) continue;
      String(w, name);
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
      LabelObject(w, m.target);
      if (metric.empty()) {
        w.Key("metric");
        String(w, m.family.name);
      }
      w.Key("type");
      String(w, m.family.type.empty() ? "unknown" : m.family.type);
      w.Key("help");
      String(w, m.family.help);
      w.Key("unit");
      String(w, m.family.unit);
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
    for (const auto& name : manager->PoolNames()) String(w, name);
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
