#include "cold/cold_store.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>
#include <parquet/column_reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <random>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "cold/schema.h"

namespace mytsdb::cold {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kDayMs = 86'400'000;
// Series read from the head per batch when persisting.
constexpr size_t kPersistBatchSeries = 1024;

Status FromArrow(const arrow::Status& st, std::string_view what) {
  if (st.ok()) return Status::OK();
  return Status::IOError(std::string(what) + ": " + st.ToString());
}

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : (a - b + 1) / b; }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Failpoints for crash tests: MYTSDB_FAILPOINT=<name> kills the process
// with SIGKILL when it reaches that point, as a power cut would.
void MaybeFail(const char* name) {
  static const char* armed = std::getenv("MYTSDB_FAILPOINT");
  if (armed != nullptr && std::strcmp(armed, name) == 0) {
    spdlog::warn("failpoint {} reached: killing the process", name);
    spdlog::default_logger()->flush();
    std::raise(SIGKILL);
  }
}

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// The string at `row` of a (possibly chunked, possibly dictionary-encoded)
// string column; nullopt for null.
class StringColumn {
 public:
  explicit StringColumn(std::shared_ptr<arrow::ChunkedArray> column) : column_(std::move(column)) {
    int64_t offset = 0;
    for (const auto& chunk : column_->chunks()) {
      starts_.push_back(offset);
      offset += chunk->length();
    }
  }
  std::optional<std::string_view> At(int64_t row) const {
    size_t c = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), row) -
                                   starts_.begin()) - 1;
    const arrow::Array& chunk = *column_->chunk(static_cast<int>(c));
    int64_t i = row - starts_[c];
    if (chunk.IsNull(i)) return std::nullopt;
    if (chunk.type_id() == arrow::Type::DICTIONARY) {
      const auto& dict = static_cast<const arrow::DictionaryArray&>(chunk);
      const auto& values = static_cast<const arrow::StringArray&>(*dict.dictionary());
      return values.GetView(dict.GetValueIndex(i));
    }
    return static_cast<const arrow::StringArray&>(chunk).GetView(i);
  }

 private:
  std::shared_ptr<arrow::ChunkedArray> column_;
  std::vector<int64_t> starts_;
};

Result<std::unique_ptr<parquet::arrow::FileReader>> OpenReader(
    const std::string& path, const std::shared_ptr<parquet::FileMetaData>& metadata) {
  auto file = arrow::io::ReadableFile::Open(path);
  if (!file.ok()) return FromArrow(file.status(), "open " + path);
  std::unique_ptr<parquet::ParquetFileReader> pq;
  try {
    // Buffered: a column chunk is read through a small buffer instead of
    // whole, so a selective read (most pages skipped unread and undecoded)
    // neither allocates nor zeroes megabytes per query.
    parquet::ReaderProperties props = parquet::default_reader_properties();
    props.enable_buffered_stream();
    props.set_buffer_size(256 * 1024);
    pq = parquet::ParquetFileReader::Open(*file, props, metadata);
  } catch (const std::exception& e) {
    return Status::Corruption("read " + path + ": " + e.what());
  }
  auto reader = parquet::arrow::FileReader::Make(arrow::default_memory_pool(), std::move(pq),
                                                parquet::default_arrow_reader_properties());
  if (!reader.ok()) return FromArrow(reader.status(), "read " + path);
  return std::move(*reader);
}

// Rows of one column of a row group, decoding only the data pages that hold
// wanted rows: the page filter runs before a page is decompressed, so a
// query for a few series decompresses a few 20,000-row pages instead of
// the whole row group.
template <typename DType>
class SparseColumn {
 public:
  using T = typename DType::c_type;

  // `wanted`: sorted, non-overlapping [first, end) row ranges of the row group.
  Status Read(parquet::RowGroupReader& rg, int column,
              const std::vector<std::pair<int64_t, int64_t>>& wanted) {
    std::unique_ptr<parquet::PageReader> pages = rg.GetColumnPageReader(column);
    int64_t next_row = 0;
    pages->set_data_page_filter([&](const parquet::DataPageStats& page) {
      int64_t first = next_row;
      next_row += page.num_values;
      auto it = std::lower_bound(wanted.begin(), wanted.end(), first,
                                 [](const std::pair<int64_t, int64_t>& r, int64_t row) { return r.second <= row; });
      bool keep = it != wanted.end() && it->first < next_row;
      if (keep) pages_.push_back({first, page.num_values, static_cast<int64_t>(pages_total_)});
      if (keep) pages_total_ += static_cast<size_t>(page.num_values);
      return !keep;  // true skips the page
    });
    const parquet::ColumnDescriptor* descr = rg.metadata()->schema()->Column(column);
    std::shared_ptr<parquet::ColumnReader> reader =
        parquet::ColumnReader::Make(descr, std::move(pages), arrow::default_memory_pool());
    auto* typed = static_cast<parquet::TypedColumnReader<DType>*>(reader.get());
    std::vector<int16_t> def(8192);
    try {
      while (typed->HasNext()) {
        size_t at = values_.size();
        values_.resize(at + 8192);
        int64_t read = 0;
        int64_t levels = typed->ReadBatch(8192, def.data(), nullptr, values_.data() + at, &read);
        if (read != levels) return Status::Corruption("unexpected null in a required column");
        values_.resize(at + static_cast<size_t>(read));
      }
    } catch (const std::exception& e) {
      return Status::Corruption(e.what());
    }
    if (values_.size() != pages_total_) return Status::Corruption("page row counts do not add up");
    return Status::OK();
  }

  // Where the values of rows [first, first + n) are: a run of values_ when
  // the rows lie in consecutive kept pages (as wanted rows always do).
  const T* rows(int64_t first) const {
    auto it = std::upper_bound(pages_.begin(), pages_.end(), first,
                               [](int64_t r, const Page& p) { return r < p.first_row; });
    const Page& p = *std::prev(it);
    return values_.data() + p.offset + (first - p.first_row);
  }

 private:
  struct Page {
    int64_t first_row;
    int64_t num_rows;
    int64_t offset;  // into values_
  };
  std::vector<Page> pages_;
  size_t pages_total_ = 0;
  std::vector<T> values_;
};

}  // namespace

// ---- Catalog: series seen in the files --------------------------------------

class ColdStore::Catalog {
 public:
  // The id of a series, adding it if new.
  ColdSeriesId Intern(model::Labels labels) EXCLUDES(mu_) {
    uint64_t hash = labels.Hash();
    {
      MutexLock lock(&mu_);
      auto it = by_hash_.find(hash);
      if (it != by_hash_.end()) {
        for (ColdSeriesId id : it->second) {
          if (labels_[id] == labels) return id;
        }
      }
      ColdSeriesId id = static_cast<ColdSeriesId>(labels_.size());
      labels_.push_back(labels);
      by_hash_[hash].push_back(id);
      // Ids grow, so the postings lists stay sorted by appending.
      postings_->Add(id, labels);
      return id;
    }
  }
  std::optional<ColdSeriesId> Find(const model::Labels& labels) const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    auto it = by_hash_.find(labels.Hash());
    if (it == by_hash_.end()) return std::nullopt;
    for (ColdSeriesId id : it->second) {
      if (labels_[id] == labels) return id;
    }
    return std::nullopt;
  }
  model::Labels Labels(ColdSeriesId id) const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return id < labels_.size() ? labels_[id] : model::Labels();
  }
  size_t size() const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return labels_.size();
  }
  // The label index. Shared so that a rebuild can replace it while readers
  // still use the old one.
  std::shared_ptr<const index::MemPostings> postings() const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return postings_;
  }
  // Drops series that are in no file any more (after retention) from the
  // label index; their ids stay reserved.
  void RebuildPostings(const std::vector<bool>& live) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    auto fresh = std::make_shared<index::MemPostings>();
    for (size_t id = 0; id < labels_.size(); ++id) {
      if (id < live.size() && live[id]) fresh->Add(id, labels_[id]);
    }
    postings_ = std::move(fresh);
  }

 private:
  mutable Mutex mu_;
  std::deque<model::Labels> labels_ GUARDED_BY(mu_);
  std::unordered_map<uint64_t, std::vector<ColdSeriesId>> by_hash_ GUARDED_BY(mu_);
  std::shared_ptr<index::MemPostings> postings_ GUARDED_BY(mu_) =
      std::make_shared<index::MemPostings>();
};

// A committed file and where each of its series' rows are.
struct ColdStore::FileEntry {
  AddFile add;
  std::string full_path;
  std::shared_ptr<parquet::FileMetaData> metadata;
  int ts_column = -1;
  int value_column = -1;
  std::vector<int64_t> row_group_starts;  // first row of each row group
  struct Span {
    ColdSeriesId id;
    int64_t first_row;
    int64_t num_rows;
  };
  std::vector<Span> spans;  // sorted by id

  const Span* Find(ColdSeriesId id) const {
    auto it = std::lower_bound(spans.begin(), spans.end(), id,
                               [](const Span& s, ColdSeriesId v) { return s.id < v; });
    return it != spans.end() && it->id == id ? &*it : nullptr;
  }
};

struct ColdStore::Snapshot {
  int64_t version = -1;
  int64_t watermark = INT64_MIN;
  std::vector<std::shared_ptr<const FileEntry>> files;  // by commit version, ascending
};

ColdStore::ColdStore(const ColdStoreOptions& options)
    : options_(options), catalog_(std::make_unique<Catalog>()) {}

ColdStore::~ColdStore() = default;

Result<std::unique_ptr<ColdStore>> ColdStore::Open(const ColdStoreOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("cold store: directory not set");
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Status::IOError("create " + options.dir + ": " + ec.message());
  std::unique_ptr<ColdStore> store(new ColdStore(options));
  ASSIGN_OR_RETURN(store->table_, DeltaTable::Open(options.dir));
  RETURN_NOT_OK(store->RemoveLeftovers());

  auto start = std::chrono::steady_clock::now();
  auto snap = std::make_shared<Snapshot>();
  snap->version = store->table_->version();
  snap->watermark = store->table_->watermark();
  std::vector<AddFile> adds;
  for (const auto& [path, add] : store->table_->files()) adds.push_back(add);
  std::sort(adds.begin(), adds.end(),
            [](const AddFile& a, const AddFile& b) { return a.version < b.version; });
  uint64_t rows = 0;
  for (size_t i = 0; i < adds.size(); ++i) {
    ASSIGN_OR_RETURN(auto entry, store->LoadFile(adds[i]));
    rows += static_cast<uint64_t>(entry->metadata->num_rows());
    snap->files.push_back(std::move(entry));
    if ((i + 1) % 100 == 0) {
      spdlog::info("cold: loaded the catalog of {} of {} files", i + 1, adds.size());
    }
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("cold: table version {}, {} files, {} rows, {} series, catalog loaded in {:.2f} s",
               snap->version, snap->files.size(), rows, store->catalog_->size(), secs);
  store->Publish(std::move(snap));
  return store;
}

Status ColdStore::RemoveLeftovers() {
  // A crash can leave a temporary file, or a finished file that no commit
  // references (written, not committed). Nothing reads either.
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(options_.dir, ec)) {
    std::string dirname = dir.path().filename().string();
    if (!dir.is_directory() || !dirname.starts_with("day=")) continue;
    for (const auto& f : fs::directory_iterator(dir.path(), ec)) {
      std::string rel = dirname + "/" + f.path().filename().string();
      bool tmp = rel.ends_with(".tmp");
      bool orphan = rel.ends_with(".parquet") && table_->files().count(rel) == 0;
      if (tmp || orphan) {
        spdlog::warn("cold: removing {} ({})", f.path().string(),
                     tmp ? "unfinished write" : "not in the Delta log");
        fs::remove(f.path(), ec);
      }
    }
  }
  if (ec) return Status::IOError("clean " + options_.dir + ": " + ec.message());
  return Status::OK();
}

Result<std::shared_ptr<const ColdStore::FileEntry>> ColdStore::LoadFile(const AddFile& add) {
  auto entry = std::make_shared<FileEntry>();
  entry->add = add;
  entry->full_path = (fs::path(options_.dir) / add.path).string();
  auto file = arrow::io::ReadableFile::Open(entry->full_path);
  if (!file.ok()) {
    return Status::Corruption("cold: file " + add.path + " of the Delta log is unreadable: " +
                              file.status().ToString());
  }
  std::unique_ptr<parquet::ParquetFileReader> pq;
  try {
    pq = parquet::ParquetFileReader::Open(*file);
  } catch (const std::exception& e) {
    return Status::Corruption("cold: " + add.path + ": " + e.what());
  }
  entry->metadata = pq->metadata();
  auto made = parquet::arrow::FileReader::Make(arrow::default_memory_pool(), std::move(pq),
                                              parquet::default_arrow_reader_properties());
  if (!made.ok()) return FromArrow(made.status(), "read " + add.path);
  std::unique_ptr<parquet::arrow::FileReader> reader = std::move(*made);
  std::shared_ptr<arrow::Schema> schema;
  RETURN_NOT_OK(FromArrow(reader->GetSchema(&schema), "schema of " + add.path));

  // Only the series key columns are read: metric, series_id, labels.
  std::vector<int> key_columns;
  std::vector<std::string> label_names;  // for key_columns[2..]
  int metric_col = -1, id_col = -1;
  for (int i = 0; i < schema->num_fields(); ++i) {
    const std::string& name = schema->field(i)->name();
    if (name == kTimestampColumn) {
      entry->ts_column = i;
    } else if (name == kValueColumn) {
      entry->value_column = i;
    } else if (name == kMetricColumn) {
      metric_col = i;
    } else if (name == kSeriesIdColumn) {
      id_col = i;
    } else {
      std::string label = LabelForColumn(name);
      if (!label.empty()) label_names.push_back(label);
      if (!label.empty()) key_columns.push_back(i);
    }
  }
  if (entry->ts_column < 0 || entry->value_column < 0 || metric_col < 0 || id_col < 0) {
    return Status::Corruption("cold: " + add.path + " lacks one of the columns metric, "
                              "series_id, ts, value");
  }
  key_columns.insert(key_columns.begin(), {metric_col, id_col});

  int64_t row = 0;
  for (int rg = 0; rg < entry->metadata->num_row_groups(); ++rg) {
    entry->row_group_starts.push_back(row);
    auto read = reader->ReadRowGroup(rg, key_columns);
    if (!read.ok()) return FromArrow(read.status(), "read " + add.path);
    std::shared_ptr<arrow::Table> table = *read;
    StringColumn metric(table->column(0));
    std::vector<StringColumn> labels;
    for (size_t c = 0; c < label_names.size(); ++c) labels.emplace_back(table->column(int(c) + 2));
    auto ids = table->column(1);
    int64_t local = 0;
    int64_t prev_id = 0;
    bool have_prev = false;
    for (const auto& chunk : ids->chunks()) {
      const auto& id_array = static_cast<const arrow::Int64Array&>(*chunk);
      for (int64_t i = 0; i < id_array.length(); ++i, ++local) {
        int64_t id = id_array.Value(i);
        if (have_prev && id == prev_id) {
          ++entry->spans.back().num_rows;
          continue;
        }
        have_prev = true;
        prev_id = id;
        std::vector<model::Label> ls;
        auto m = metric.At(local);
        if (m.has_value()) ls.push_back({std::string(model::kMetricNameLabel), std::string(*m)});
        for (size_t c = 0; c < labels.size(); ++c) {
          auto v = labels[c].At(local);
          if (v.has_value()) ls.push_back({label_names[c], std::string(*v)});
        }
        ColdSeriesId cid = catalog_->Intern(model::Labels::FromUnsorted(std::move(ls)));
        // A series continuing from the previous row group extends its span.
        if (local == 0 && !entry->spans.empty() && entry->spans.back().id == cid &&
            entry->spans.back().first_row + entry->spans.back().num_rows == row) {
          ++entry->spans.back().num_rows;
        } else {
          entry->spans.push_back({cid, row + local, 1});
        }
      }
    }
    row += table->num_rows();
  }
  std::sort(entry->spans.begin(), entry->spans.end(),
            [](const FileEntry::Span& a, const FileEntry::Span& b) { return a.id < b.id; });
  return std::shared_ptr<const FileEntry>(std::move(entry));
}

std::shared_ptr<const ColdStore::Snapshot> ColdStore::snapshot() const {
  MutexLock lock(&snapshot_mu_);
  return snapshot_;
}

void ColdStore::Publish(std::shared_ptr<const Snapshot> snapshot) {
  MutexLock lock(&snapshot_mu_);
  snapshot_ = std::move(snapshot);
}

int64_t ColdStore::watermark() const { return snapshot()->watermark; }

// ---- Writing ------------------------------------------------------------------

Result<std::optional<AddFile>> ColdStore::WriteDayFile(
    model::TimeRange day_range, const std::vector<model::Labels>& series,
    std::span<const size_t> order, const std::vector<std::string>& label_names,
    const ReadFn& read, size_t batch_series, const WriteOptions& write_options) {
  batch_series = std::max<size_t>(batch_series, 1);
  AddFile add;
  add.day = DayOf(day_range.min);
  add.path = "day=" + add.day + "/part-" + std::to_string(day_range.min) + "-" + RandomSuffix() +
             ".parquet";
  std::string full = (fs::path(options_.dir) / add.path).string();
  std::error_code ec;
  fs::create_directories(fs::path(full).parent_path(), ec);
  if (ec) {
    return Status::IOError("create " + fs::path(full).parent_path().string() + ": " +
                           ec.message());
  }
  ASSIGN_OR_RETURN(auto writer, ParquetFileWriter::Open(full, label_names, write_options));
  // Series are read and written `batch_series` at a time, so that memory
  // holds about one row group of samples.
  std::vector<std::vector<model::Sample>> samples;
  for (size_t first = 0; first < order.size(); first += batch_series) {
    std::span<const size_t> indices = order.subspan(first, std::min(batch_series, order.size() - first));
    RETURN_NOT_OK(read(indices, day_range, &samples));
    std::vector<SeriesData> batch;
    for (size_t k = 0; k < indices.size(); ++k) {
      if (!samples[k].empty()) batch.push_back({series[indices[k]], std::move(samples[k])});
    }
    RETURN_NOT_OK(writer->Write(batch));
  }
  ASSIGN_OR_RETURN(FileInfo info, writer->Finish());
  if (info.num_rows == 0) {
    fs::remove(full, ec);
    return std::optional<AddFile>();
  }
  add.size_bytes = info.size_bytes;
  add.num_records = info.num_rows;
  add.min_ts = info.min_ts;
  add.max_ts = info.max_ts;
  return std::optional<AddFile>(add);
}

Status ColdStore::CommitAndPublish(CommitRequest commit) {
  Status st = table_->Commit(commit);
  if (!st.ok()) {
    std::error_code ec;
    for (const AddFile& a : commit.adds) fs::remove(fs::path(options_.dir) / a.path, ec);
    return st.WithContext("Delta commit");
  }
  MaybeFail(commit.operation == "OPTIMIZE" ? "cold.compact.after_commit"
            : commit.operation == "DELETE"  ? "cold.retention.after_commit"
                                            : "cold.persist.after_commit");
  // The committed files join a new snapshot; removed ones leave it (their
  // files are deleted later, once readers of older snapshots are done).
  auto next = std::make_shared<Snapshot>(*snapshot());
  next->version = table_->version();
  next->watermark = table_->watermark();
  if (!commit.removes.empty()) {
    std::set<std::string> removed(commit.removes.begin(), commit.removes.end());
    std::erase_if(next->files, [&](const auto& f) { return removed.count(f->add.path) > 0; });
    int64_t now = NowMs();
    MutexLock lock(&pending_mu_);
    for (const std::string& path : removed) pending_deletes_.push_back({path, now});
  }
  for (AddFile add : commit.adds) {
    add.version = table_->version();
    auto entry = LoadFile(add);
    if (!entry.ok()) return entry.status().WithContext("catalog of a new file");
    next->files.push_back(std::move(*entry));
  }
  if (commit.operation == "DELETE") {
    // Series whose every file went leave the label index.
    std::vector<bool> live(catalog_->size(), false);
    for (const auto& f : next->files) {
      for (const auto& span : f->spans) live[span.id] = true;
    }
    catalog_->RebuildPostings(live);
  }
  Publish(std::move(next));
  uint64_t rows = 0;
  for (const AddFile& a : commit.adds) rows += static_cast<uint64_t>(a.num_records);
  spdlog::info("cold: committed version {} ({}): {} file(s) added with {} rows, {} removed{}",
               table_->version(), commit.operation, commit.adds.size(), rows,
               commit.removes.size(),
               commit.watermark ? fmt::format(", watermark {}", *commit.watermark) : "");
  return Status::OK();
}

namespace {
// Sorted label names other than __name__ of `series`.
std::vector<std::string> LabelNamesOf(const std::vector<model::Labels>& series) {
  std::set<std::string> names;
  for (const model::Labels& l : series) {
    for (const model::Label& label : l) {
      if (label.name != model::kMetricNameLabel) names.insert(label.name);
    }
  }
  return {names.begin(), names.end()};
}

std::vector<size_t> FileOrder(const std::vector<model::Labels>& series) {
  std::vector<size_t> order(series.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return SeriesFileOrder(series[a], series[b]); });
  return order;
}
}  // namespace

Status ColdStore::Persist(const PersistRequest& request) {
  std::vector<size_t> order = FileOrder(request.series);
  std::vector<std::string> label_names = LabelNamesOf(request.series);
  CommitRequest commit;
  commit.watermark = request.new_watermark;
  for (const std::string& name : label_names) commit.label_columns.push_back(ColumnForLabel(name));
  auto cleanup = [&] {
    std::error_code ec;
    for (const AddFile& a : commit.adds) fs::remove(fs::path(options_.dir) / a.path, ec);
  };
  ReadFn read = [&](std::span<const size_t> indices, model::TimeRange r,
                    std::vector<std::vector<model::Sample>>* out) {
    out->assign(indices.size(), {});
    for (size_t k = 0; k < indices.size(); ++k) request.read(indices[k], r, &(*out)[k]);
    return Status::OK();
  };
  const model::TimeRange range = request.range;
  if (range.min <= range.max && !order.empty()) {
    // One file per UTC day the range touches.
    for (int64_t day = FloorDiv(range.min, kDayMs); day <= FloorDiv(range.max, kDayMs); ++day) {
      model::TimeRange day_range{std::max(range.min, day * kDayMs),
                                 std::min(range.max, day * kDayMs + kDayMs - 1)};
      auto add = WriteDayFile(day_range, request.series, order, label_names, read,
                              kPersistBatchSeries, options_.write);
      if (!add.ok()) {
        cleanup();
        return add.status();
      }
      if (add->has_value()) commit.adds.push_back(**add);
    }
  }
  if (commit.adds.empty() && !commit.watermark.has_value()) return Status::OK();
  if (commit.adds.empty()) commit.label_columns.clear();
  MaybeFail("cold.persist.before_commit");
  return CommitAndPublish(std::move(commit));
}

Result<bool> ColdStore::CompactOne(const CompactionOptions& options) {
  auto snap = snapshot();
  // Files per day, oldest day first.
  std::map<std::string, std::vector<std::shared_ptr<const FileEntry>>> by_day;
  for (const auto& f : snap->files) by_day[f->add.day].push_back(f);
  for (const auto& [day, files] : by_day) {
    if (files.size() < 2) continue;
    int64_t day_start = FloorDiv(files.front()->add.min_ts, kDayMs) * kDayMs;
    int64_t day_end = day_start + kDayMs;  // exclusive
    // A day the head still writes into is merged only once it has many files.
    bool complete = day_end <= snap->watermark;
    if (!complete && files.size() < options.max_files_per_open_day) continue;

    // The series of these files, read through the catalog; ReadSamples
    // resolves duplicates (last commit wins) while merging.
    std::set<ColdSeriesId> ids;
    for (const auto& f : files) {
      for (const auto& span : f->spans) ids.insert(span.id);
    }
    std::vector<ColdSeriesId> id_list(ids.begin(), ids.end());
    std::vector<model::Labels> series;
    series.reserve(id_list.size());
    for (ColdSeriesId id : id_list) series.push_back(catalog_->Labels(id));
    std::vector<size_t> order = FileOrder(series);
    std::vector<std::string> label_names = LabelNamesOf(series);
    model::TimeRange day_range{day_start, day_end - 1};
    std::set<std::string> paths;
    for (const auto& f : files) paths.insert(f->add.path);
    // Reads go to exactly the files being merged, through a snapshot of them.
    auto merged_snap = std::make_shared<Snapshot>();
    merged_snap->files = files;
    ReadFn read = [&](std::span<const size_t> indices, model::TimeRange r,
                      std::vector<std::vector<model::Sample>>* out) {
      std::vector<ColdSeriesId> batch;
      batch.reserve(indices.size());
      for (size_t i : indices) batch.push_back(id_list[i]);
      return ReadFrom(*merged_snap, batch, r, out);
    };
    // Batches of about one row group: consecutive series in file order sit
    // in consecutive rows of the old files too, so each old row group is
    // read about once.
    int64_t rows = 0;
    for (const auto& f : files) rows += f->add.num_records;
    size_t per_series = static_cast<size_t>(std::max<int64_t>(rows / std::max<int64_t>(int64_t(ids.size()), 1), 1));
    size_t batch_series = static_cast<size_t>(options_.write.row_group_rows) / per_series + 1;
    spdlog::info("cold: compacting {} files of day {} ({} rows, {} series)", files.size(), day,
                 rows, ids.size());
    // Compaction rewrites each day once, off the ingestion path: it can
    // afford a stronger ZSTD level than a flush (docs/FORMAT.md).
    WriteOptions write = options_.write;
    write.zstd_level = options.zstd_level;
    ASSIGN_OR_RETURN(auto add, WriteDayFile(day_range, series, order, label_names, read,
                                            batch_series, write));
    MaybeFail("cold.compact.before_commit");
    CommitRequest commit;
    commit.operation = "OPTIMIZE";
    if (add.has_value()) commit.adds.push_back(*add);
    commit.removes.assign(paths.begin(), paths.end());
    for (const std::string& name : label_names) commit.label_columns.push_back(ColumnForLabel(name));
    RETURN_NOT_OK(CommitAndPublish(std::move(commit)));
    return true;
  }
  return false;
}

Status ColdStore::Compact(const CompactionOptions& options) {
  for (;;) {
    ASSIGN_OR_RETURN(bool merged, CompactOne(options));
    if (!merged) break;
  }
  return Status::OK();
}

Status ColdStore::ApplyRetention(int64_t min_time, uint64_t max_bytes) {
  auto snap = snapshot();
  std::vector<std::shared_ptr<const FileEntry>> files = snap->files;
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a->add.max_ts < b->add.max_ts; });
  uint64_t total = 0;
  for (const auto& f : files) total += static_cast<uint64_t>(f->add.size_bytes);
  CommitRequest commit;
  commit.operation = "DELETE";
  for (const auto& f : files) {
    bool too_old = f->add.max_ts < min_time;
    bool too_big = max_bytes > 0 && total > max_bytes;
    if (!too_old && !too_big) break;
    commit.removes.push_back(f->add.path);
    total -= static_cast<uint64_t>(f->add.size_bytes);
  }
  if (commit.removes.empty()) return Status::OK();
  spdlog::info("cold: retention removes {} file(s) (older than {} or over {} bytes)",
               commit.removes.size(), min_time, max_bytes);
  return CommitAndPublish(std::move(commit));
}

size_t ColdStore::DeleteRemovedFiles(std::chrono::milliseconds grace) {
  int64_t cutoff = NowMs() - grace.count();
  std::vector<std::string> due;
  {
    MutexLock lock(&pending_mu_);
    std::erase_if(pending_deletes_, [&](const PendingDelete& p) {
      if (p.removed_at_ms > cutoff) return false;
      due.push_back(p.path);
      return true;
    });
  }
  for (const std::string& path : due) {
    std::error_code ec;
    fs::remove(fs::path(options_.dir) / path, ec);
    if (ec) spdlog::warn("cold: cannot delete {}: {}", path, ec.message());
  }
  // Day directories left empty go too.
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(options_.dir, ec)) {
    if (dir.is_directory() && dir.path().filename().string().starts_with("day=") &&
        fs::is_empty(dir.path(), ec)) {
      fs::remove(dir.path(), ec);
    }
  }
  return due.size();
}

// ---- Reading ------------------------------------------------------------------

std::vector<ColdSeriesId> ColdStore::Select(const model::Matchers& matchers,
                                            model::TimeRange range) const {
  index::Postings candidates = catalog_->postings()->Select(matchers);
  if (candidates.empty()) return {};
  auto snap = snapshot();
  std::vector<ColdSeriesId> out;
  for (index::SeriesRef ref : candidates) {
    ColdSeriesId id = static_cast<ColdSeriesId>(ref);
    for (const auto& file : snap->files) {
      if (range.Overlaps(file->add.min_ts, file->add.max_ts) && file->Find(id) != nullptr) {
        out.push_back(id);
        break;
      }
    }
  }
  return out;
}

model::Labels ColdStore::SeriesLabels(ColdSeriesId id) const { return catalog_->Labels(id); }

std::optional<ColdSeriesId> ColdStore::Find(const model::Labels& labels) const {
  return catalog_->Find(labels);
}

Status ColdStore::ReadSamples(std::span<const ColdSeriesId> ids, model::TimeRange range,
                              std::vector<std::vector<model::Sample>>* out) const {
  return ReadFrom(*snapshot(), ids, range, out);
}

Status ColdStore::ReadFrom(const Snapshot& snap, std::span<const ColdSeriesId> ids,
                           model::TimeRange range,
                           std::vector<std::vector<model::Sample>>* out) const {
  out->assign(ids.size(), {});
  std::vector<bool> from_several(ids.size(), false);
  std::vector<bool> seen(ids.size(), false);
  for (const auto& file : snap.files) {
    if (!range.Overlaps(file->add.min_ts, file->add.max_ts)) continue;
    // Rows to read, grouped by row group: (index into ids, first row, count).
    struct Piece {
      size_t index;
      int64_t first_row;
      int64_t num_rows;
    };
    std::map<int, std::vector<Piece>> by_row_group;
    const auto& starts = file->row_group_starts;
    for (size_t i = 0; i < ids.size(); ++i) {
      const FileEntry::Span* span = file->Find(ids[i]);
      if (span == nullptr) continue;
      if (seen[i]) from_several[i] = true;
      seen[i] = true;
      int64_t row = span->first_row, end = span->first_row + span->num_rows;
      while (row < end) {
        int rg = static_cast<int>(std::upper_bound(starts.begin(), starts.end(), row) -
                                  starts.begin()) - 1;
        int64_t rg_end = rg + 1 < static_cast<int>(starts.size())
                             ? starts[static_cast<size_t>(rg) + 1]
                             : file->metadata->num_rows();
        int64_t n = std::min(end, rg_end) - row;
        by_row_group[rg].push_back({i, row, n});
        row += n;
      }
    }
    if (by_row_group.empty()) continue;
    ASSIGN_OR_RETURN(auto reader, OpenReader(file->full_path, file->metadata));
    for (const auto& [rg, pieces] : by_row_group) {
      int64_t base = starts[static_cast<size_t>(rg)];
      std::vector<std::pair<int64_t, int64_t>> wanted;
      for (const Piece& p : pieces) wanted.emplace_back(p.first_row - base, p.first_row - base + p.num_rows);
      std::sort(wanted.begin(), wanted.end());
      std::shared_ptr<parquet::RowGroupReader> rg_reader = reader->parquet_reader()->RowGroup(rg);
      SparseColumn<parquet::Int64Type> ts;
      SparseColumn<parquet::DoubleType> values;
      Status st = ts.Read(*rg_reader, file->ts_column, wanted);
      if (st.ok()) st = values.Read(*rg_reader, file->value_column, wanted);
      if (!st.ok()) return Status::Corruption("read " + file->add.path + ": " + st.message());
      for (const Piece& p : pieces) {
        std::vector<model::Sample>& dst = (*out)[p.index];
        // Kept pages are consecutive in values_, so a wanted run is contiguous.
        const int64_t* t = ts.rows(p.first_row - base);
        const double* v = values.rows(p.first_row - base);
        for (int64_t k = 0; k < p.num_rows; ++k) {
          if (range.Contains(t[k])) dst.push_back({t[k], v[k]});
        }
      }
    }
  }
  // Files are in commit order, so the later file's sample comes last.
  for (size_t i = 0; i < ids.size(); ++i) {
    if (from_several[i]) model::SortKeepingLastPerTimestamp(&(*out)[i]);
  }
  return Status::OK();
}

std::vector<std::string> ColdStore::LabelNames() const { return catalog_->postings()->LabelNames(); }

std::vector<std::string> ColdStore::LabelValues(std::string_view name) const {
  return catalog_->postings()->LabelValues(name);
}

ColdStats ColdStore::stats() const {
  auto snap = snapshot();
  ColdStats st;
  st.version = snap->version;
  st.watermark = snap->watermark;
  st.files = snap->files.size();
  for (const auto& f : snap->files) {
    st.bytes += static_cast<uint64_t>(f->add.size_bytes);
    st.rows += static_cast<uint64_t>(f->add.num_records);
    st.min_time = st.files == 0 || f == snap->files.front() ? f->add.min_ts
                                                             : std::min(st.min_time, f->add.min_ts);
    st.max_time = f == snap->files.front() ? f->add.max_ts : std::max(st.max_time, f->add.max_ts);
  }
  st.catalog_series = catalog_->size();
  return st;
}

}  // namespace mytsdb::cold
