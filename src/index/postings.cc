#include "index/postings.h"

#include <algorithm>
#include <iterator>

namespace mytsdb::index {

Postings Intersect(const Postings& a, const Postings& b) {
  Postings out;
  out.reserve(std::min(a.size(), b.size()));
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings Union(std::span<const std::span<const SeriesRef>> lists) {
  if (lists.empty()) return {};
  if (lists.size() == 1) return Postings(lists[0].begin(), lists[0].end());
  Postings out;
  size_t total = 0;
  for (std::span<const SeriesRef> p : lists) total += p.size();
  out.reserve(total);
  for (std::span<const SeriesRef> p : lists) out.insert(out.end(), p.begin(), p.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Postings Difference(const Postings& a, const Postings& b) {
  Postings out;
  out.reserve(a.size());
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

void MemPostings::Add(SeriesRef ref, const model::Labels& labels) {
  WriterLock lock(&mu_);
  for (const model::Label& l : labels) {
    auto name_it = index_.find(l.name);
    if (name_it == index_.end()) name_it = index_.emplace(l.name, ValueMap{}).first;
    auto value_it = name_it->second.find(l.value);
    if (value_it == name_it->second.end()) {
      value_it = name_it->second.emplace(ValueKey(l.value), PostingList()).first;
    }
    if (value_it->second.Insert(ref)) ++num_entries_;
  }
  if (all_.empty() || all_.back() < ref) {
    all_.push_back(ref);
  } else {
    all_.insert(std::lower_bound(all_.begin(), all_.end(), ref), ref);
  }
}

void MemPostings::Remove(std::span<const std::pair<SeriesRef, model::Labels>> series) {
  if (series.empty()) return;
  // Refs to remove per name/value pair, then one Difference per list.
  std::map<std::pair<std::string_view, std::string_view>, Postings> by_pair;
  Postings refs;
  refs.reserve(series.size());
  for (const auto& [ref, labels] : series) {
    refs.push_back(ref);
    for (const model::Label& l : labels) by_pair[{l.name, l.value}].push_back(ref);
  }
  std::sort(refs.begin(), refs.end());
  WriterLock lock(&mu_);
  for (auto& [pair, removed] : by_pair) {
    auto name_it = index_.find(pair.first);
    if (name_it == index_.end()) continue;
    auto value_it = name_it->second.find(pair.second);
    if (value_it == name_it->second.end()) continue;
    std::sort(removed.begin(), removed.end());
    num_entries_ -= value_it->second.Remove(removed);
    if (value_it->second.empty()) name_it->second.erase(value_it);
    if (name_it->second.empty()) index_.erase(name_it);
  }
  all_ = Difference(all_, refs);
}

template <typename Pred>
Postings MemPostings::UnionWhere(std::string_view name, Pred pred) const {
  auto name_it = index_.find(name);
  if (name_it == index_.end()) return {};
  std::vector<std::span<const SeriesRef>> lists;
  for (const auto& [value, list] : name_it->second) {
    if (pred(value.view())) lists.push_back(list.refs());
  }
  return Union(lists);
}

Postings MemPostings::Select(const model::Matchers& matchers) const {
  if (matchers.empty()) return {};
  ReaderLock lock(&mu_);
  // Positive sets to intersect, and sets of series to exclude. A matcher that
  // accepts "" cannot be a positive set: series without the label match too.
  std::vector<Postings> include;
  std::vector<Postings> exclude;
  for (const model::Matcher& m : matchers) {
    if (!m.MatchesEmpty()) {
      if (m.type() == model::MatchType::kEqual) {
        auto name_it = index_.find(m.name());
        if (name_it == index_.end()) return {};
        auto value_it = name_it->second.find(m.value());
        if (value_it == name_it->second.end()) return {};
        include.emplace_back(value_it->second.refs().begin(), value_it->second.refs().end());
      } else {
        include.push_back(UnionWhere(m.name(), [&](std::string_view v) { return m.Matches(v); }));
      }
      if (include.back().empty()) return {};
    } else {
      // Exclude series whose value of the label is present and rejected.
      exclude.push_back(
          UnionWhere(m.name(), [&](std::string_view v) { return !m.Matches(v); }));
    }
  }
  Postings result;
  if (include.empty()) {
    result = all_;
  } else {
    std::sort(include.begin(), include.end(),
              [](const Postings& a, const Postings& b) { return a.size() < b.size(); });
    result = std::move(include[0]);
    for (size_t i = 1; i < include.size() && !result.empty(); ++i) {
      result = Intersect(result, include[i]);
    }
  }
  for (const Postings& ex : exclude) {
    if (result.empty()) break;
    if (!ex.empty()) result = Difference(result, ex);
  }
  return result;
}

Postings MemPostings::All() const {
  ReaderLock lock(&mu_);
  return all_;
}

std::vector<std::string> MemPostings::LabelNames() const {
  ReaderLock lock(&mu_);
  std::vector<std::string> names;
  names.reserve(index_.size());
  for (const auto& [name, values] : index_) names.push_back(name);
  return names;
}

std::vector<std::string> MemPostings::LabelValues(std::string_view name) const {
  ReaderLock lock(&mu_);
  std::vector<std::string> values;
  auto it = index_.find(name);
  if (it == index_.end()) return values;
  values.reserve(it->second.size());
  for (const auto& [value, list] : it->second) values.emplace_back(value.view());
  return values;
}

size_t MemPostings::num_pairs() const {
  ReaderLock lock(&mu_);
  size_t n = 0;
  for (const auto& [name, values] : index_) n += values.size();
  return n;
}

size_t MemPostings::num_entries() const {
  ReaderLock lock(&mu_);
  return num_entries_;
}

namespace {

// The `limit` largest of the counts pushed, kept in a min-heap so that a
// pass over millions of pairs allocates only for those that enter it.
// Names are built only for the entries kept.
template <typename Key>
class TopCounts {
 public:
  explicit TopCounts(size_t limit) : limit_(limit) {}

  void Push(uint64_t count, Key key) {
    if (limit_ == 0) return;
    if (heap_.size() < limit_) {
      heap_.push_back({count, std::move(key)});
      std::push_heap(heap_.begin(), heap_.end(), Smaller);
    } else if (count > heap_.front().count) {
      std::pop_heap(heap_.begin(), heap_.end(), Smaller);
      heap_.back() = {count, std::move(key)};
      std::push_heap(heap_.begin(), heap_.end(), Smaller);
    }
  }

  // Largest first, ties by name.
  template <typename NameOf>
  std::vector<CountStat> Take(NameOf name_of) {
    std::vector<CountStat> out;
    out.reserve(heap_.size());
    for (auto& e : heap_) out.push_back({name_of(e.key), e.count});
    std::sort(out.begin(), out.end(), [](const CountStat& a, const CountStat& b) {
      return a.count != b.count ? a.count > b.count : a.name < b.name;
    });
    return out;
  }

 private:
  struct Entry {
    uint64_t count;
    Key key;
  };
  // The heap's front is the smallest count (a later name counts as
  // smaller, so that of equal counts the earliest names stay).
  static bool Smaller(const Entry& a, const Entry& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  }
  size_t limit_;
  std::vector<Entry> heap_;
};

}  // namespace

PostingsStats MemPostings::Stats(std::string_view metric_label, size_t limit) const {
  // Go's string header, which Prometheus's estimate counts per name and value.
  constexpr uint64_t kStringHeader = 16;
  using Pair = std::pair<std::string_view, std::string_view>;
  TopCounts<std::string_view> metrics(limit), values(limit), bytes(limit);
  TopCounts<Pair> pairs(limit);
  PostingsStats stats;
  ReaderLock lock(&mu_);
  for (const auto& [name, value_map] : index_) {
    values.Push(value_map.size(), name);
    stats.num_label_pairs += value_map.size();
    uint64_t size = 0;
    for (const auto& [value, list] : value_map) {
      const std::string_view v = value.view();
      if (name == metric_label) metrics.Push(list.size(), v);
      pairs.Push(list.size(), Pair(name, v));
      size += (name.size() + kStringHeader + v.size() + kStringHeader) * list.size();
    }
    bytes.Push(size, name);
  }
  auto as_string = [](std::string_view s) { return std::string(s); };
  stats.series_by_metric = metrics.Take(as_string);
  stats.values_by_label = values.Take(as_string);
  stats.bytes_by_label = bytes.Take(as_string);
  stats.series_by_label_pair = pairs.Take([](const Pair& p) { return std::string(p.first) + "=" + std::string(p.second); });
  return stats;
}

}  // namespace mytsdb::index
