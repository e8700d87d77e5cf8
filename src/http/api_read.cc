// Reading back without PromQL: /api/v1/series, /api/v1/labels,
// /api/v1/label/<name>/values (Prometheus shapes) and /api/v1/export
// (VictoriaMetrics' JSON-lines format).
#include "http/message.h"
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <set>

#include "http/api_util.h"
#include "http/params.h"
#include "http/server.h"
#include "ingest/remote_write.h"

namespace mytsdb::http {

namespace {

// A selected series' labels as a JSON object, from the packed selection.
void WriteSelectedLabels(JsonWriter& w, const storage::SeriesSelection& series, size_t i) {
  w.StartObject();
  series.ForEachLabel(i, [&](std::string_view name, std::string_view value) {
    WriteString(w, name);
    WriteString(w, value);
  });
  w.EndObject();
}

// Common parameters of the metadata endpoints.
struct SelectionParams {
  std::vector<model::Matchers> selectors;
  model::TimeRange range;
  size_t limit = 0;  // 0: no limit
};

Result<SelectionParams> ParseSelection(const Request& req, bool match_required) {
  if (match_required && !req.has_param("match[]")) {
    return Status::InvalidArgument("no match[] parameter provided");
  }
  SelectionParams p;
  ASSIGN_OR_RETURN(p.selectors, ParseMatchParams(ParamValues(req, "match[]")));
  ASSIGN_OR_RETURN(p.range, ParseTimeRange(ParamValue(req, "start"), ParamValue(req, "end")));
  ASSIGN_OR_RETURN(p.limit, ParseLimitParam(ParamValue(req, "limit")));
  return p;
}

// Series matching any of the selectors, in both tiers, sorted by labels.
storage::SeriesSelection SelectSeries(const storage::Storage& storage, const SelectionParams& p) {
  if (p.selectors.size() == 1) return storage.Select(p.selectors[0], p.range);
  storage::SeriesSelection out;
  for (const model::Matchers& ms : p.selectors) out.Add(storage.Select(ms, p.range));
  out.Finish();
  return out;
}

// `warnings` (a partial selection's), then the truncation's if `truncated`.
void WriteWarnings(JsonWriter& w, std::vector<std::string> warnings, bool truncated) {
  if (truncated) warnings.push_back("results truncated due to limit");
  if (warnings.empty()) return;
  w.Key("warnings");
  w.StartArray();
  for (const std::string& warning : warnings) WriteString(w, warning);
  w.EndArray();
}

// Writes a sorted string list as the data of a success response, honouring
// `limit` with Prometheus's warning, after a partial selection's `warnings`.
void WriteStringList(Response& res, const std::vector<std::string>& values,
                     size_t limit, const std::vector<std::string>& warnings = {}) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("status");
  w.String("success");
  w.Key("data");
  w.StartArray();
  size_t n = limit > 0 ? std::min(limit, values.size()) : values.size();
  for (size_t i = 0; i < n; ++i) WriteString(w, values[i]);
  w.EndArray();
  WriteWarnings(w, warnings, n < values.size());
  w.EndObject();
  res.set_content(std::string(buf.GetString(), buf.GetSize()), "application/json");
}

// A value for the export: JSON has no NaN or infinities, so they are written
// as VictoriaMetrics does (null, "Infinity", "-Infinity"); with hex encoding
// the exact 64 bits are written instead, NaN payloads included.
void WriteExportValue(JsonWriter& w, double v, bool hex) {
  char buf[32];
  if (hex) {
    auto r = std::to_chars(buf, buf + sizeof(buf), std::bit_cast<uint64_t>(v), 16);
    w.String(buf, static_cast<rapidjson::SizeType>(r.ptr - buf));
  } else if (std::isnan(v)) {
    w.Null();
  } else if (std::isinf(v)) {
    w.String(v > 0 ? "Infinity" : "-Infinity");
  } else {
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    w.RawValue(buf, r.ptr - buf, rapidjson::kNumberType);
  }
}

}  // namespace

void Server::HandleSeries(const Request& req, Response& res) {
  storage::Storage* storage = StorageOr503(res);
  if (storage == nullptr) return;
  auto params = ParseSelection(req, /*match_required=*/true);
  if (!params.ok()) return WriteApiError(res, 400, "bad_data", params.status().message());
  auto series = SelectSeries(*storage, *params);

  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("status");
  w.String("success");
  w.Key("data");
  w.StartArray();
  size_t n = params->limit > 0 ? std::min(params->limit, series.size()) : series.size();
  for (size_t i = 0; i < n; ++i) WriteSelectedLabels(w, series, i);
  w.EndArray();
  WriteWarnings(w, series.warnings(), n < series.size());
  w.EndObject();
  res.set_content(std::string(buf.GetString(), buf.GetSize()), "application/json");
}

void Server::HandleLabels(const Request& req, Response& res) {
  storage::Storage* storage = StorageOr503(res);
  if (storage == nullptr) return;
  auto params = ParseSelection(req, /*match_required=*/false);
  if (!params.ok()) return WriteApiError(res, 400, "bad_data", params.status().message());
  std::vector<std::string> names;
  std::vector<std::string> warnings;
  if (params->selectors.empty()) {
    model::TimeRange bounds = storage->TimeBounds();
    if (params->range.Overlaps(bounds.min, bounds.max)) names = storage->LabelNames();
  } else {
    std::set<std::string> set;
    storage::SeriesSelection series = SelectSeries(*storage, *params);
    for (size_t i = 0; i < series.size(); ++i) {
      series.ForEachLabel(i, [&](std::string_view label, std::string_view) { set.emplace(label); });
    }
    names.assign(set.begin(), set.end());
    warnings = series.warnings();
  }
  WriteStringList(res, names, params->limit, warnings);
}

void Server::HandleLabelValues(const Request& req, Response& res) {
  storage::Storage* storage = StorageOr503(res);
  if (storage == nullptr) return;
  auto name = UnescapeLabelName(req.matches[1]);
  if (!name.ok()) return WriteApiError(res, 400, "bad_data", name.status().message());
  if (name->empty() || !model::IsValidUtf8(*name)) {
    return WriteApiError(res, 400, "bad_data", "invalid label name: \"" + *name + "\"");
  }
  auto params = ParseSelection(req, /*match_required=*/false);
  if (!params.ok()) return WriteApiError(res, 400, "bad_data", params.status().message());
  std::vector<std::string> values;
  std::vector<std::string> warnings;
  if (params->selectors.empty()) {
    model::TimeRange bounds = storage->TimeBounds();
    if (params->range.Overlaps(bounds.min, bounds.max)) values = storage->LabelValues(*name);
  } else {
    std::set<std::string> set;
    storage::SeriesSelection series = SelectSeries(*storage, *params);
    for (size_t i = 0; i < series.size(); ++i) {
      std::string_view v = series.label(i, *name);
      if (!v.empty()) set.emplace(v);
    }
    values.assign(set.begin(), set.end());
    warnings = series.warnings();
  }
  WriteStringList(res, values, params->limit, warnings);
}

void Server::HandleExport(const Request& req, Response& res) {
  storage::Storage* storage = StorageOr503(res);
  if (storage == nullptr) return;
  auto params = ParseSelection(req, /*match_required=*/true);
  if (!params.ok()) return WriteApiError(res, 400, "bad_data", params.status().message());
  std::string encoding = ParamValue(req, "value_encoding");
  if (!encoding.empty() && encoding != "json" && encoding != "hex") {
    return WriteApiError(res, 400, "bad_data",
                         "invalid parameter \"value_encoding\": must be json or hex");
  }
  bool hex = encoding == "hex";

  // Streams one JSON line per series; series are read a batch at a time so
  // that an export of everything does not need memory for everything.
  auto series = std::make_shared<const storage::SeriesSelection>(SelectSeries(*storage, *params));
  model::TimeRange range = params->range;
  res.set_header("Content-Type", "application/stream+json");
  res.stream = [this, series, range, hex](const Response::Sink& sink) {
    for (size_t next = 0; next < series->size();) {
      storage::Storage* st = storage_.load();
      if (st == nullptr) return;
      size_t n = std::min<size_t>(64, series->size() - next);
      std::vector<std::vector<model::Sample>> samples;
      Status read = st->ReadSamples(*series, next, n, range, &samples);
      if (!read.ok()) {
        // Ends the response early; the client sees a broken stream.
        spdlog::error("export: {}", read.ToString());
        return;
      }
      rapidjson::StringBuffer buf;
      for (size_t i = 0; i < n; ++i) {
        if (samples[i].empty()) continue;
        JsonWriter w(buf);
        w.StartObject();
        w.Key("metric");
        WriteSelectedLabels(w, *series, next + i);
        w.Key("values");
        w.StartArray();
        for (const model::Sample& s : samples[i]) WriteExportValue(w, s.value, hex);
        w.EndArray();
        w.Key("timestamps");
        w.StartArray();
        for (const model::Sample& s : samples[i]) w.Int64(s.timestamp_ms);
        w.EndArray();
        w.EndObject();
        buf.Put('\n');
      }
      next += n;
      if (buf.GetSize() > 0 && !sink(std::string_view(buf.GetString(), buf.GetSize()))) return;
    }
  };
}

void Server::HandleMetadata(const Request& req, Response& res) {
  storage::Storage* storage = StorageOr503(res);
  if (storage == nullptr) return;
  std::string metric = ParamValue(req, "metric");
  int64_t limit = -1;
  std::string limit_param = ParamValue(req, "limit");
  if (!limit_param.empty()) {
    auto r = std::from_chars(limit_param.data(), limit_param.data() + limit_param.size(), limit);
    if (r.ec != std::errc() || r.ptr != limit_param.data() + limit_param.size()) {
      return WriteApiError(res, 400, "bad_data", "invalid parameter \"limit\": cannot parse \"" +
                                                     limit_param + "\" to an integer");
    }
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  int64_t written = 0;
  for (const head::MetricMetadata& m : storage->Metadata()) {
    if (!metric.empty() && m.metric_family_name != metric) continue;
    if (limit >= 0 && written >= limit) break;
    ++written;
    WriteString(w, m.metric_family_name);
    w.StartArray();
    w.StartObject();
    w.Key("type");
    WriteString(w, ingest::MetricTypeName(static_cast<ingest::MetricType>(m.type)));
    w.Key("help");
    WriteString(w, m.help);
    w.Key("unit");
    WriteString(w, m.unit);
    w.EndObject();
    w.EndArray();
  }
  w.EndObject();
  WriteApiSuccess(res, std::string_view(buf.GetString(), buf.GetSize()));
}

}  // namespace mytsdb::http
