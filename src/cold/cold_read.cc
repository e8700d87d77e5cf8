// ColdStore's read path: selecting series and reading their samples from a
// snapshot of the committed files.
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/page_index.h>
#include <parquet/statistics.h>

#include <algorithm>
#include <map>

#include "cold/cold_store.h"
#include "cold/arrow_io.h"
#include "cold/column_reader.h"
#include "cold/file_entry.h"
#include "cold/page_reader.h"

namespace mytsdb::cold {

namespace {

// Appends rows [first, first + n) of a row group as samples: `value`, or
// where it is null value_int / value_div (value_encoding.h). `values` null:
// every row's `value` is null; `ints` and `divs` null: no row needs them
// (files from before them, or a row group without a null `value`).
Status AppendValues(int64_t first, int64_t n, const int64_t* ts,
                    const SparseColumn<parquet::DoubleType>* values,
                    const SparseColumn<parquet::Int64Type>* ints,
                    const SparseColumn<parquet::Int64Type>* divs,
                    std::vector<model::Sample>* out) {
  if (n <= 0) return Status::OK();
  // Written by index into room made once: push_back's size check and a
  // sample assembled on the stack were most of a cold-tier query's time
  // spent here (docs/BENCHMARKS.md, "Query read paths profiled").
  const size_t at = out->size();
  out->resize(at + static_cast<size_t>(n));
  model::Sample* dst = out->data() + at;
  const double* v = values != nullptr ? values->rows(first) : nullptr;
  const uint8_t* v_valid = values != nullptr ? values->valid(first) : nullptr;
  if (values != nullptr && (v_valid == nullptr || ints == nullptr)) {  // every row has a `value`
    for (int64_t k = 0; k < n; ++k) {
      if (v_valid != nullptr && !v_valid[k]) {
        out->resize(at);
        return Status::Corruption("a null value without value_int");
      }
      dst[k].timestamp_ms = ts[k];
      dst[k].value = v[k];
    }
    return Status::OK();
  }
  if (ints == nullptr) {
    out->resize(at);
    return Status::Corruption("a null value without value_int");
  }
  const int64_t* m = ints->rows(first);
  const int64_t* d = divs->rows(first);
  const uint8_t* m_valid = ints->valid(first);
  const uint8_t* d_valid = divs->valid(first);
  for (int64_t k = 0; k < n; ++k) {
    dst[k].timestamp_ms = ts[k];
    if (v_valid != nullptr && v_valid[k]) {
      dst[k].value = v[k];
    } else if ((m_valid == nullptr || m_valid[k]) && (d_valid == nullptr || d_valid[k]) && d[k] > 0) {
      dst[k].value = static_cast<double>(m[k]) / static_cast<double>(d[k]);
    } else {
      out->resize(at);
      return Status::Corruption("a row with neither value nor value_int and value_div");
    }
  }
  return Status::OK();
}

// Which value columns of a row group a read needs: `value` unless the
// statistics say every row's is null, value_int and value_div (where the
// file has them) unless they say no row's `value` is. Without statistics
// both are read.
struct ValueColumns {
  bool value = true;
  bool decimals = true;
};
ValueColumns ValueColumnsToRead(const parquet::RowGroupMetaData& rg, const FileEntry& file) {
  ValueColumns read;
  read.decimals = file.value_int_column >= 0;
  if (!read.decimals) return read;  // `value` is then required
  const std::unique_ptr<parquet::ColumnChunkMetaData> chunk = rg.ColumnChunk(file.value_column);
  const std::shared_ptr<parquet::Statistics> stats = chunk->statistics();
  if (stats == nullptr || !stats->HasNullCount()) return read;
  if (stats->null_count() == rg.num_rows()) read.value = false;
  if (stats->null_count() == 0) read.decimals = false;
  return read;
}

}  // namespace


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

void ColdStore::AppendSeriesLabels(ColdSeriesId id, model::LabelSets* out) const {
  catalog_->AppendLabels(id, out);
}

std::optional<ColdSeriesId> ColdStore::Find(const model::LabelSets& sets, size_t i) const {
  return catalog_->Find(sets, i);
}

Status ColdStore::ReadSamples(std::span<const ColdSeriesId> ids, model::TimeRange range,
                              std::vector<std::vector<model::Sample>>* out,
                              int64_t max_samples, bool cached) const {
  return ReadFrom(*snapshot(), ids, range, out, max_samples, cached ? sample_cache_.get() : nullptr);
}

Status ColdStore::ReadFrom(const Snapshot& snap, std::span<const ColdSeriesId> ids,
                           model::TimeRange range, std::vector<std::vector<model::Sample>>* out,
                           int64_t max_samples, SampleCache* cache) const {
  out->assign(ids.size(), {});
  int64_t read = 0;
  auto too_many = [&] {
    return Status::ResourceExhausted("more than " + std::to_string(max_samples) + " samples to read");
  };
  std::vector<bool> from_several(ids.size(), false);
  std::vector<bool> seen(ids.size(), false);
  // With a cache, the series it does not cover are read into `fills` over
  // `read_range`, which goes on past `range` (sample_cache.h), and kept.
  std::vector<std::vector<model::Sample>> fills;
  std::vector<size_t> filled;
  // One set of codec contexts per thread, kept between reads: setting up a
  // ZSTD context for every query was 3% of a one-series query's CPU.
  thread_local PageDecompressors decompressors;
  for (const auto& file : snap.files) {
    if (!range.Overlaps(file->add.min_ts, file->add.max_ts)) continue;
    model::TimeRange read_range = range;
    if (cache != nullptr) {
      read_range.max = range.max > INT64_MAX - SampleCache::kReadAheadMs ? INT64_MAX
                                                                         : range.max + SampleCache::kReadAheadMs;
      fills.assign(ids.size(), {});
      filled.clear();
    }
    std::vector<std::vector<model::Sample>>* target = cache != nullptr ? &fills : out;
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
      if (cache != nullptr) {
        if (cache->Get(file->add.path, ids[i], range, &(*out)[i], &read)) continue;
        filled.push_back(i);
      }
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
    if (read > max_samples) return too_many();
    if (by_row_group.empty()) continue;
    ASSIGN_OR_RETURN(std::shared_ptr<arrow::io::RandomAccessFile> input,
                     OpenArrowInputFile(options_.fs, file->full_path));
    std::shared_ptr<parquet::PageIndexReader> page_index;
    try {
      page_index = parquet::PageIndexReader::Make(input.get(), file->metadata, ParquetReaderProperties());
    } catch (const std::exception& e) {
      return FromException(e, "read the page index of " + file->full_path);
    }
    // Parquet's own reader, for row groups without an offset index (none
    // of MyTSDB's files lack one; this keeps the read path whole for any).
    std::unique_ptr<parquet::arrow::FileReader> whole_reader;
    for (const auto& [rg_number, pieces] : by_row_group) {
      const int rg = rg_number;  // a structured binding cannot be captured
      int64_t base = starts[static_cast<size_t>(rg)];
      std::vector<std::pair<int64_t, int64_t>> wanted;
      for (const Piece& p : pieces) wanted.emplace_back(p.first_row - base, p.first_row - base + p.num_rows);
      std::sort(wanted.begin(), wanted.end());
      std::unique_ptr<parquet::RowGroupMetaData> rg_meta;
      std::shared_ptr<parquet::RowGroupPageIndexReader> rg_index;
      try {
        rg_meta = file->metadata->RowGroup(rg);
        if (page_index != nullptr) rg_index = page_index->RowGroup(rg);
      } catch (const std::exception& e) {
        return FromException(e, "read " + file->full_path);
      }
      std::shared_ptr<parquet::RowGroupReader> rg_reader;
      auto read_column = [&](auto* column, int index) -> Status {
        std::shared_ptr<parquet::OffsetIndex> offsets;
        try {
          if (rg_index != nullptr) offsets = rg_index->GetOffsetIndex(index);
        } catch (const std::exception& e) {
          return FromException(e, "read the offset index");
        }
        if (offsets != nullptr) {
          return column->Read(input.get(), *rg_meta, index, offsets->page_locations(), wanted, &decompressors);
        }
        if (whole_reader == nullptr) {
          ASSIGN_OR_RETURN(whole_reader, OpenParquet(options_.fs, file->full_path, file->metadata));
        }
        try {
          if (rg_reader == nullptr) rg_reader = whole_reader->parquet_reader()->RowGroup(rg);
        } catch (const std::exception& e) {
          return FromException(e, "read row group");
        }
        return column->Read(*rg_reader, index, wanted);
      };
      SparseColumn<parquet::Int64Type> ts;
      SparseColumn<parquet::DoubleType> values;
      SparseColumn<parquet::Int64Type> ints, divs;
      // A value column the row group's statistics show to be all null is
      // not read: on data that is all decimals (or all not), a third of
      // the pages a query decompresses.
      const ValueColumns needed = ValueColumnsToRead(*rg_meta, *file);
      Status st = read_column(&ts, file->ts_column);
      if (st.ok() && needed.value) st = read_column(&values, file->value_column);
      if (st.ok() && needed.decimals) st = read_column(&ints, file->value_int_column);
      if (st.ok() && needed.decimals) st = read_column(&divs, file->value_div_column);
      if (!st.ok()) return st.WithContext("read " + file->full_path);
      for (const Piece& p : pieces) {
        std::vector<model::Sample>& dst = (*target)[p.index];
        // Kept pages are consecutive in values_, so a wanted run is contiguous.
        const int64_t first = p.first_row - base;
        const int64_t* t = ts.rows(first);
        // A series' rows are in time order (docs/FORMAT.md, "Sort order").
        const int64_t* from = std::lower_bound(t, t + p.num_rows, read_range.min);
        const int64_t* to = std::upper_bound(from, t + p.num_rows, read_range.max);
        RETURN_NOT_OK(AppendValues(first + (from - t), to - from, t + (from - t),
                                   needed.value ? &values : nullptr,
                                   needed.decimals ? &ints : nullptr,
                                   needed.decimals ? &divs : nullptr, &dst)
                          .WithContext("read " + file->full_path));
        // Only what was asked for counts (not what was read ahead).
        read += static_cast<int64_t>(std::upper_bound(from, to, range.max) - from);
      }
      if (read > max_samples) return too_many();
    }
    if (cache == nullptr) continue;
    // The entry covers what was read, and beyond the file's own bounds
    // everything (it has no samples there).
    const model::TimeRange covered{read_range.min <= file->add.min_ts ? INT64_MIN : read_range.min,
                                   read_range.max >= file->add.max_ts ? INT64_MAX : read_range.max};
    for (size_t i : filled) {
      std::vector<model::Sample>& samples = fills[i];
      auto to = std::upper_bound(samples.begin(), samples.end(), range.max,
                                 [](int64_t t, const model::Sample& a) { return t < a.timestamp_ms; });
      (*out)[i].insert((*out)[i].end(), samples.begin(), to);
      cache->Put(file->add.path, ids[i], covered, std::move(samples));
    }
  }
  // Files are in commit order, so the later file's sample comes last.
  for (size_t i = 0; i < ids.size(); ++i) {
    if (from_several[i]) model::SortKeepingLastPerTimestamp(&(*out)[i]);
  }
  return Status::OK();
}

Status ColdStore::ReadBatch(const Snapshot& snap, std::span<const ColdSeriesId> ids,
                            model::TimeRange range, std::vector<SeriesData>* batch,
                            std::vector<ColdSeriesId>* batch_ids) const {
  std::vector<std::vector<model::Sample>> samples;
  RETURN_NOT_OK(ReadFrom(snap, ids, range, &samples));
  for (size_t k = 0; k < ids.size(); ++k) {
    if (samples[k].empty()) continue;
    model::Labels labels = catalog_->Labels(ids[k]);
    if (labels.empty()) continue;  // freed meanwhile (see the header)
    batch->push_back({std::move(labels), std::move(samples[k])});
    if (batch_ids != nullptr) batch_ids->push_back(ids[k]);
  }
  return Status::OK();
}

std::vector<std::string> ColdStore::LabelNames() const { return catalog_->postings()->LabelNames(); }

std::vector<std::string> ColdStore::LabelValues(std::string_view name) const {
  return catalog_->postings()->LabelValues(name);
}

}  // namespace mytsdb::cold
