#include "search/metric_text.h"

#include "search/vocabulary.h"

#include <algorithm>
#include <cctype>

namespace mytsdb::search {

namespace {

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(char c) { return IsLower(c) || IsUpper(c) || IsDigit(c) || static_cast<unsigned char>(c) >= 0x80; }

void Flush(std::string* word, std::vector<std::string>* out) {
  if (!word->empty()) out->push_back(std::move(*word));
  word->clear();
}

// Label names the model reads at most: more dilute what the name and HELP
// say (measured on the evaluation's tuning half, docs/SEARCH.md).
constexpr size_t kMaxLabelsInText = 4;

bool HasName(const MetricEntry& entry, const std::string& name) {
  return std::binary_search(entry.metric_names.begin(), entry.metric_names.end(), name);
}

}  // namespace

std::vector<std::string> NameWords(std::string_view name) {
  std::vector<std::string> out;
  std::string word;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!IsWordChar(c)) {
      Flush(&word, &out);
      continue;
    }
    // camelCase and "PLEGLatency": a new word at lower->upper, and before
    // the last capital of a run followed by lower case.
    if (IsUpper(c) && !word.empty()) {
      const char prev = name[i - 1];
      const bool next_lower = i + 1 < name.size() && IsLower(name[i + 1]);
      if (IsLower(prev) || IsDigit(prev) || (IsUpper(prev) && next_lower)) Flush(&word, &out);
    }
    word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  Flush(&word, &out);
  return out;
}

std::vector<std::string> Terms(std::string_view text) { return NameWords(text); }

std::string EmbeddingText(const MetricEntry& entry) {
  std::string text;
  for (const std::string& w : NameWords(entry.name)) {
    text += (text.empty() ? "" : " ") + std::string(ReadableWord(w));
  }
  std::string kind = entry.type == "unknown" ? "" : entry.type;
  if (!entry.unit.empty()) kind += (kind.empty() ? "" : ", ") + entry.unit;
  if (!kind.empty()) text += " (" + kind + ")";
  text += ".";
  if (!entry.help.empty()) {
    text += " " + entry.help;
    if (text.back() != '.') text += ".";
  }
  std::vector<std::string_view> labels;
  for (const LabelSummary& label : entry.labels) {
    // Every scraped series has these; they say nothing of the metric.
    if (label.name == "job" || label.name == "instance") continue;
    if (labels.size() < kMaxLabelsInText) labels.push_back(label.name);
  }
  for (size_t i = 0; i < labels.size(); ++i) text += (i ? ", " : " Labels: ") + std::string(labels[i]);
  if (!labels.empty()) text += ".";
  return text;
}

std::string SuggestedQuery(const MetricEntry& entry) {
  const std::string& n = entry.name;
  if ((entry.type == "histogram" || entry.type == "gaugehistogram") && HasName(entry, n + "_bucket")) {
    return "histogram_quantile(0.99, sum by (le) (rate(" + n + "_bucket[5m])))";
  }
  if (entry.type == "summary" && HasName(entry, n + "_sum") && HasName(entry, n + "_count")) {
    return "rate(" + n + "_sum[5m]) / rate(" + n + "_count[5m])";
  }
  if (entry.type == "counter") {
    return "rate(" + (HasName(entry, n + "_total") ? n + "_total" : n) + "[5m])";
  }
  if (entry.type == "unknown" && (n.ends_with("_total") || n.ends_with("_count"))) return "rate(" + n + "[5m])";
  return entry.metric_names.size() == 1 ? entry.metric_names.front() : n;
}

}  // namespace mytsdb::search
