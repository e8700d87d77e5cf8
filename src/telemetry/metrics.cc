#include "telemetry/metrics.h"

#include <charconv>
#include <cmath>

namespace mytsdb::telemetry {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

namespace {
void AppendEscaped(std::string* out, std::string_view s, bool is_help) {
  for (char c : s) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '"' && !is_help) {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}
}  // namespace

void TextWriter::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  AppendEscaped(&out_, help, true);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void TextWriter::Sample(std::string_view name,
                        std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
                        double value) {
  out_ += name;
  if (labels.size() > 0) {
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"";
      AppendEscaped(&out_, v, false);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += FormatValue(value);
  out_ += '\n';
}

void TextWriter::Sample(std::string_view name,
                        const std::vector<std::pair<std::string, std::string>>& labels,
                        double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      AppendEscaped(&out_, labels[i].second, false);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += FormatValue(value);
  out_ += '\n';
}

ValueFamily::ValueFamily(std::string name, std::string help, std::string type,
                         std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(std::move(type)),
      label_names_(std::move(label_names)) {}

void ValueFamily::Add(const std::vector<std::string>& label_values, double delta) {
  MutexLock lock(&mu_);
  values_[label_values] += delta;
}

void ValueFamily::Set(const std::vector<std::string>& label_values, double value) {
  MutexLock lock(&mu_);
  values_[label_values] = value;
}

double ValueFamily::Get(const std::vector<std::string>& label_values) const {
  MutexLock lock(&mu_);
  auto it = values_.find(label_values);
  return it == values_.end() ? 0 : it->second;
}

namespace {
std::vector<std::pair<std::string, std::string>> Zip(const std::vector<std::string>& names,
                                                      const std::vector<std::string>& values) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out.emplace_back(names[i], values[i]);
  }
  return out;
}
}  // namespace

void ValueFamily::Write(TextWriter* w) const {
  MutexLock lock(&mu_);
  w->Family(name_, type_, help_);
  if (values_.empty() && label_names_.empty()) w->Sample(name_, {}, 0);
  for (const auto& [labels, value] : values_) w->Sample(name_, Zip(label_names_, labels), value);
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 std::vector<double> upper_bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      upper_bounds_(std::move(upper_bounds)) {}

void HistogramFamily::Observe(const std::vector<std::string>& label_values, double value) {
  MutexLock lock(&mu_);
  Data& d = data_[label_values];
  if (d.counts.empty()) d.counts.assign(upper_bounds_.size(), 0);
  for (size_t i = 0; i < upper_bounds_.size(); ++i) {
    if (value <= upper_bounds_[i]) {
      ++d.counts[i];
      break;
    }
  }
  d.sum += value;
  ++d.count;
}

void HistogramFamily::Write(TextWriter* w) const {
  MutexLock lock(&mu_);
  w->Family(name_, "histogram", help_);
  for (const auto& [labels, d] : data_) {
    auto base = Zip(label_names_, labels);
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
      auto with_le = base;
      if (i < upper_bounds_.size()) {
        cumulative += d.counts[i];
        with_le.emplace_back("le", FormatValue(upper_bounds_[i]));
        w->Sample(name_ + "_bucket", with_le, double(cumulative));
      } else {
        with_le.emplace_back("le", "+Inf");
        w->Sample(name_ + "_bucket", with_le, double(d.count));
      }
    }
    w->Sample(name_ + "_sum", base, d.sum);
    w->Sample(name_ + "_count", base, double(d.count));
  }
}

ValueFamily& Registry::Counter(std::string name, std::string help,
                               std::vector<std::string> label_names) {
  MutexLock lock(&mu_);
  values_.push_back(std::make_unique<ValueFamily>(std::move(name), std::move(help), "counter",
                                                  std::move(label_names)));
  return *values_.back();
}

ValueFamily& Registry::Gauge(std::string name, std::string help,
                             std::vector<std::string> label_names) {
  MutexLock lock(&mu_);
  values_.push_back(std::make_unique<ValueFamily>(std::move(name), std::move(help), "gauge",
                                                  std::move(label_names)));
  return *values_.back();
}

HistogramFamily& Registry::Histogram(std::string name, std::string help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> upper_bounds) {
  MutexLock lock(&mu_);
  histograms_.push_back(std::make_unique<HistogramFamily>(
      std::move(name), std::move(help), std::move(label_names), std::move(upper_bounds)));
  return *histograms_.back();
}

void Registry::AddCollector(std::function<void(TextWriter*)> collector) {
  MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Render() const {
  TextWriter w;
  MutexLock lock(&mu_);
  for (const auto& c : collectors_) c(&w);
  for (const auto& f : values_) f->Write(&w);
  for (const auto& h : histograms_) h->Write(&w);
  return w.text();
}

}  // namespace mytsdb::telemetry
