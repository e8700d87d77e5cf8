#include "search/evaluation.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>

#include "io/file_system.h"

namespace mytsdb::search {

namespace {

std::vector<std::string> Strings(const rapidjson::Value& v) {
  std::vector<std::string> out;
  if (!v.IsArray()) return out;
  for (const auto& s : v.GetArray()) {
    if (s.IsString()) out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return out;
}

std::string String(const rapidjson::Value& v, const char* key) {
  return v.HasMember(key) && v[key].IsString() ? std::string(v[key].GetString(), v[key].GetStringLength()) : "";
}

// Each non-empty line of `path` as a JSON object.
Status ForEachJsonLine(const std::string& path, const std::function<Status(const rapidjson::Document&)>& fn) {
  ASSIGN_OR_RETURN(std::string text, io::PosixFileSystem()->ReadFile(path));
  std::istringstream lines(text);
  size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (line.empty()) continue;
    rapidjson::Document doc;
    doc.Parse(line.data(), line.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      return Status::InvalidArgument(path + ":" + std::to_string(number) + ": not a JSON object");
    }
    RETURN_NOT_OK(fn(doc).WithContext(path + ":" + std::to_string(number)));
  }
  return Status::OK();
}

// The job a scrape configuration would give a source's series, by the usual
// convention ("node_exporter.jsonl" -> "node", "snmp_probe.jsonl" -> "snmp"):
// in a server every scraped series has one, and it names the software.
// Federated series belong to every job, so they get none here.
std::string JobOf(const std::string& path) {
  std::string job = std::filesystem::path(path).stem().string();
  if (job.ends_with("_federate")) return "";
  for (std::string_view suffix : {"_exporter", "_probe"}) {
    if (job.ends_with(suffix)) job.resize(job.size() - suffix.size());
  }
  return job;
}

}  // namespace

Result<Catalog> LoadCatalogFiles(const std::vector<std::string>& paths) {
  std::map<std::string, MetricEntry> by_name;
  for (const std::string& path : paths) {
    const std::string job = JobOf(path);
    RETURN_NOT_OK(ForEachJsonLine(path, [&](const rapidjson::Document& doc) -> Status {
      MetricEntry e;
      e.name = String(doc, "name");
      if (e.name.empty()) return Status::InvalidArgument("a family without a name");
      e.type = String(doc, "type");
      if (e.type.empty() || e.type == "untyped") e.type = "unknown";
      e.help = String(doc, "help");
      e.unit = String(doc, "unit");
      e.metric_names = doc.HasMember("metric_names") ? Strings(doc["metric_names"]) : std::vector<std::string>{};
      if (e.metric_names.empty()) e.metric_names = {e.name};
      std::sort(e.metric_names.begin(), e.metric_names.end());
      e.series = 1;
      for (const std::string& label : doc.HasMember("labels") ? Strings(doc["labels"]) : std::vector<std::string>{}) {
        LabelSummary summary;
        summary.name = label;
        if (doc.HasMember("top_values") && doc["top_values"].IsObject() && doc["top_values"].HasMember(label.c_str())) {
          for (std::string& v : Strings(doc["top_values"][label.c_str()])) summary.top_values.emplace_back(std::move(v), 1);
        }
        summary.distinct_values = summary.top_values.size();
        e.labels.push_back(std::move(summary));
      }
      if (!job.empty() && std::none_of(e.labels.begin(), e.labels.end(), [](const LabelSummary& l) { return l.name == "job"; })) {
        e.labels.push_back({.name = "job", .distinct_values = 1, .top_values = {{job, 1}}});
      }
      auto [it, inserted] = by_name.emplace(e.name, e);
      if (!inserted) {
        MetricEntry& have = it->second;
        if (have.help.empty()) have.help = e.help;
        for (LabelSummary& label : e.labels) {
          auto same = std::find_if(have.labels.begin(), have.labels.end(),
                                   [&](const LabelSummary& l) { return l.name == label.name; });
          if (same == have.labels.end()) {
            have.labels.push_back(std::move(label));
          } else if (label.name == "job") {
            for (auto& value : label.top_values) {
              if (std::find(same->top_values.begin(), same->top_values.end(), value) == same->top_values.end()) {
                same->top_values.push_back(std::move(value));
              }
            }
            same->distinct_values = same->top_values.size();
          }
        }
        std::sort(have.labels.begin(), have.labels.end(),
                  [](const LabelSummary& a, const LabelSummary& b) { return a.name < b.name; });
      }
      return Status::OK();
    }));
  }
  Catalog catalog;
  for (auto& [name, entry] : by_name) {
    catalog.series += entry.series;
    catalog.entries.push_back(std::move(entry));
  }
  return catalog;
}

Result<std::vector<EvalQuestion>> LoadQuestions(const std::string& path) {
  std::vector<EvalQuestion> out;
  RETURN_NOT_OK(ForEachJsonLine(path, [&](const rapidjson::Document& doc) -> Status {
    EvalQuestion q{String(doc, "id"), String(doc, "half"), String(doc, "question"),
                   doc.HasMember("answers") ? Strings(doc["answers"]) : std::vector<std::string>{}};
    if (q.id.empty() || q.half.empty() || q.question.empty() || q.answers.empty()) {
      return Status::InvalidArgument("a question needs id, half, question and answers");
    }
    out.push_back(std::move(q));
    return Status::OK();
  }));
  return out;
}

Result<EvalScores> Evaluate(const SearchService& service, const std::vector<EvalQuestion>& questions,
                            const std::string& half, RankMode mode) {
  EvalScores scores;
  for (const EvalQuestion& q : questions) {
    if (q.half != half) continue;
    ASSIGN_OR_RETURN(std::vector<SearchHit> hits, service.Search({.question = q.question, .limit = 10, .mode = mode}));
    size_t rank = 0;
    for (size_t i = 0; i < hits.size() && rank == 0; ++i) {
      if (std::find(q.answers.begin(), q.answers.end(), hits[i].metric.name) != q.answers.end()) rank = i + 1;
    }
    ++scores.questions;
    if (rank == 1) scores.top1 += 1;
    if (rank >= 1 && rank <= 5) scores.top5 += 1;
    if (rank >= 1) scores.mrr += 1.0 / static_cast<double>(rank);
    if (rank == 0 || rank > 5) {
      std::string miss = q.id + " \"" + q.question + "\" (answer " + (rank ? "at " + std::to_string(rank) : "not in top 10") + ") ->";
      for (size_t i = 0; i < std::min<size_t>(3, hits.size()); ++i) miss += " " + hits[i].metric.name;
      scores.misses.push_back(std::move(miss));
    }
  }
  if (scores.questions > 0) {
    const double n = static_cast<double>(scores.questions);
    scores.top1 /= n;
    scores.top5 /= n;
    scores.mrr /= n;
  }
  return scores;
}

CatalogSource FixedCatalogSource(Catalog catalog) {
  auto shared = std::make_shared<const Catalog>(std::move(catalog));
  CatalogSource source;
  source.build = [shared] { return *shared; };
  source.generation = [] { return uint64_t{1}; };
  source.select_names = [](const model::Matchers&) { return std::set<std::string>{}; };
  return source;
}

}  // namespace mytsdb::search
