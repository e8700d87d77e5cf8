#include "cold/column_reader.h"

#include <algorithm>

#include "cold/arrow_io.h"

namespace mytsdb::cold {

Result<std::unique_ptr<parquet::arrow::FileReader>> OpenParquet(
    io::FileSystem* fs, const std::string& path,
    const std::shared_ptr<parquet::FileMetaData>& metadata) {
  ASSIGN_OR_RETURN(auto file, OpenArrowInputFile(fs, path));
  std::unique_ptr<parquet::ParquetFileReader> pq;
  try {
    // Buffered: a column chunk is read through a small buffer instead of
    // whole, so a selective read (most pages skipped unread and undecoded)
    // neither allocates nor zeroes megabytes per query.
    parquet::ReaderProperties props = ParquetReaderProperties();
    props.enable_buffered_stream();
    props.set_buffer_size(256 * 1024);
    pq = parquet::ParquetFileReader::Open(file, props, metadata);
  } catch (const std::exception& e) {
    return FromException(e, "read " + path);
  }
  auto reader = parquet::arrow::FileReader::Make(ArrowMemoryPool(), std::move(pq),
                                                parquet::default_arrow_reader_properties());
  if (!reader.ok()) return FromArrow(reader.status(), "read " + path);
  return std::move(*reader);
}

namespace {

constexpr int64_t kKeyBatch = 8192;

}  // namespace

Status ReadKeyRuns(parquet::RowGroupReader& rg, int id_column, const std::vector<int>& string_columns,
                   KeyRuns* out) {
  *out = KeyRuns{};  // the run detection below compares with the last id found
  const int64_t rows = rg.metadata()->num_rows();
  std::vector<int16_t> def(kKeyBatch);
  try {
    auto ids = std::static_pointer_cast<parquet::Int64Reader>(rg.Column(id_column));
    std::vector<int64_t> values(kKeyBatch);
    int64_t row = 0;
    while (ids->HasNext()) {
      int64_t read = 0;
      int64_t levels = ids->ReadBatch(kKeyBatch, def.data(), nullptr, values.data(), &read);
      if (read != levels) return Status::Corruption("null series_id");
      for (int64_t i = 0; i < read; ++i, ++row) {
        if (out->ids.empty() || values[i] != out->ids.back()) {
          out->starts.push_back(row);
          out->ids.push_back(values[i]);
        }
      }
    }
    if (row != rows) return Status::Corruption("series_id holds fewer rows than its row group");

    out->strings.assign(string_columns.size(), {});
    for (size_t c = 0; c < string_columns.size(); ++c) {
      auto column = std::static_pointer_cast<parquet::ByteArrayReader>(rg.Column(string_columns[c]));
      const int16_t max_def = column->descr()->max_definition_level();
      std::vector<std::optional<std::string>>& at_starts = out->strings[c];
      at_starts.reserve(out->starts.size());
      std::vector<parquet::ByteArray> strings(kKeyBatch);
      size_t next_run = 0;
      row = 0;
      while (column->HasNext()) {
        int64_t read = 0;
        int64_t levels = column->ReadBatch(kKeyBatch, def.data(), nullptr, strings.data(), &read);
        // Values come only for non-null rows, in order.
        int64_t value = 0;
        for (int64_t i = 0; i < levels; ++i, ++row) {
          const bool present = max_def == 0 || def[i] == max_def;
          if (next_run < out->starts.size() && out->starts[next_run] == row) {
            if (present) {
              at_starts.emplace_back(std::string(reinterpret_cast<const char*>(strings[value].ptr),
                                                 strings[value].len));
            } else {
              at_starts.emplace_back(std::nullopt);
            }
            ++next_run;
          }
          value += present;
        }
      }
      if (row != rows) return Status::Corruption("a key column holds fewer rows than its row group");
    }
  } catch (const std::exception& e) {
    return FromException(e, "read key columns");
  }
  return Status::OK();
}

namespace {
constexpr size_t kBatch = 8192;  // values per ReadBatch
}  // namespace

template <typename DType>
void SparseColumn<DType>::Reserve(int64_t rows, bool nullable) {
  // Room for every row up front: growing the buffer as pages come in copied
  // it again and again (7% of a cold-tier query's CPU). Only the rows
  // written to are ever touched.
  const size_t n = static_cast<size_t>(std::max<int64_t>(0, rows)) + kBatch;
  values_.reserve(n);
  if (nullable) valid_.reserve(n);
  def_.resize(kBatch);
}

template <typename DType>
Result<int64_t> SparseColumn<DType>::AppendBatch(parquet::TypedColumnReader<DType>* reader,
                                                 int64_t max_rows) {
  const size_t at = values_.size();
  const int64_t batch = std::min<int64_t>(max_rows, kBatch);
  values_.resize(at + static_cast<size_t>(batch));
  int64_t read = 0;
  const int64_t levels = reader->ReadBatch(batch, def_.data(), nullptr, values_.data() + at, &read);
  if (max_def_ == 0) {
    if (read != levels) return Status::Corruption("unexpected null in a required column");
    values_.resize(at + static_cast<size_t>(read));
    return read;
  }
  if (read < 0 || read > levels) return Status::Corruption("definition levels do not match the values");
  valid_.resize(at + static_cast<size_t>(levels));
  values_.resize(at + static_cast<size_t>(levels));
  uint8_t* valid = valid_.data() + at;
  T* values = values_.data() + at;
  const auto n = static_cast<size_t>(levels);
  // Batches are usually all values (value_int where every value is a
  // decimal) or all nulls (`value` then): no spreading needed.
  if (read == levels) {
    std::fill_n(valid, n, uint8_t{1});
    return levels;
  }
  if (read == 0) {
    std::fill_n(valid, n, uint8_t{0});
    std::fill_n(values, n, T{});
    return levels;
  }
  // The `read` non-null values came packed: spread them to their rows,
  // from the last one back, so that none is overwritten before it moves.
  size_t present_count = 0;
  for (size_t i = 0; i < n; ++i) present_count += def_[i] == max_def_;
  if (present_count != static_cast<size_t>(read)) {
    return Status::Corruption("definition levels do not match the values");
  }
  size_t next = present_count;
  for (size_t i = n; i-- > 0;) {
    const bool present = def_[i] == max_def_;
    valid[i] = present;
    next -= present;
    // Without a branch: a null row reads a value it then discards
    // (values[next] is in bounds, next <= read < levels).
    const T v = values[next];
    values[i] = present ? v : T{};
  }
  return levels;
}

template <typename DType>
Status SparseColumn<DType>::Read(parquet::RowGroupReader& rg, int column,
                                 const std::vector<std::pair<int64_t, int64_t>>& wanted) {
  try {
    std::unique_ptr<parquet::PageReader> pages = rg.GetColumnPageReader(column);
    int64_t next_row = 0;
    pages->set_data_page_filter([&](const parquet::DataPageStats& page) {
      int64_t first = next_row;
      next_row += page.num_values;
      auto it = std::lower_bound(wanted.begin(), wanted.end(), first,
                                 [](const std::pair<int64_t, int64_t>& r, int64_t row) {
                                   return r.second <= row;
                                 });
      bool keep = it != wanted.end() && it->first < next_row;
      if (keep) pages_.push_back({first, page.num_values, static_cast<int64_t>(pages_total_)});
      if (keep) pages_total_ += static_cast<size_t>(page.num_values);
      return !keep;  // true skips the page
    });
    const parquet::ColumnDescriptor* descr = rg.metadata()->schema()->Column(column);
    std::shared_ptr<parquet::ColumnReader> reader =
        parquet::ColumnReader::Make(descr, std::move(pages), ArrowMemoryPool());
    auto* typed = static_cast<parquet::TypedColumnReader<DType>*>(reader.get());
    max_def_ = descr->max_definition_level();
    Reserve(rg.metadata()->num_rows(), max_def_ > 0);
    while (typed->HasNext()) RETURN_NOT_OK(AppendBatch(typed, kBatch).status());
  } catch (const std::exception& e) {
    return FromException(e, "read column");
  }
  if (values_.size() != pages_total_) return Status::Corruption("page row counts do not add up");
  return Status::OK();
}

template <typename DType>
Status SparseColumn<DType>::Read(arrow::io::RandomAccessFile* file, const parquet::RowGroupMetaData& rg,
                                 int column, const std::vector<parquet::PageLocation>& pages,
                                 const std::vector<std::pair<int64_t, int64_t>>& wanted,
                                 PageDecompressors* decompressors) {
  const parquet::ColumnDescriptor* descr = rg.schema()->Column(column);
  if (descr->max_repetition_level() != 0) return Status::Corruption("a repeated sample column");
  const std::vector<KeptPage> kept = PagesHolding(pages, rg.num_rows(), wanted);
  try {
    std::unique_ptr<parquet::ColumnChunkMetaData> chunk = rg.ColumnChunk(column);
    ASSIGN_OR_RETURN(std::unique_ptr<SelectedPageReader> selected,
                     SelectedPageReader::Open(file, *chunk, pages, rg.num_rows(), kept, decompressors));
    std::shared_ptr<parquet::ColumnReader> reader =
        parquet::ColumnReader::Make(descr, std::move(selected), ArrowMemoryPool());
    auto* typed = static_cast<parquet::TypedColumnReader<DType>*>(reader.get());
    max_def_ = descr->max_definition_level();
    int64_t rows = 0;
    for (const KeptPage& page : kept) rows += page.needed_rows;
    Reserve(rows, max_def_ > 0);
    for (const KeptPage& page : kept) {
      // Up to the page's last wanted row: a series' rows near the start of
      // a page leave the rest of it undecoded (delta-coded columns cannot
      // skip ahead, but they can stop).
      const int64_t needed = page.needed_rows;
      pages_.push_back({page.first_row, needed, static_cast<int64_t>(pages_total_)});
      pages_total_ += static_cast<size_t>(needed);
      for (int64_t done = 0; done < needed;) {
        if (!typed->HasNext()) return Status::Corruption("a page holds fewer rows than its offset index says");
        ASSIGN_OR_RETURN(int64_t n, AppendBatch(typed, needed - done));
        if (n <= 0) return Status::Corruption("a page holds fewer rows than its offset index says");
        done += n;
      }
      // The rest of the page, dropped without decoding.
      if (needed < page.num_rows && typed->Skip(page.num_rows - needed) != page.num_rows - needed) {
        return Status::Corruption("a page holds fewer rows than its offset index says");
      }
    }
    if (typed->HasNext()) return Status::Corruption("pages hold more rows than their offset index says");
  } catch (const std::exception& e) {
    return FromException(e, "read column");
  }
  if (values_.size() != pages_total_) return Status::Corruption("page row counts do not add up");
  return Status::OK();
}

template <typename DType>
const typename SparseColumn<DType>::Page& SparseColumn<DType>::PageOf(int64_t row) const {
  auto it = std::upper_bound(pages_.begin(), pages_.end(), row,
                             [](int64_t r, const Page& p) { return r < p.first_row; });
  return *std::prev(it);
}

template <typename DType>
const typename SparseColumn<DType>::T* SparseColumn<DType>::rows(int64_t first) const {
  const Page& p = PageOf(first);
  return values_.data() + p.offset + (first - p.first_row);
}

template <typename DType>
const uint8_t* SparseColumn<DType>::valid(int64_t first) const {
  if (valid_.empty()) return nullptr;
  const Page& p = PageOf(first);
  return valid_.data() + p.offset + (first - p.first_row);
}

template class SparseColumn<parquet::Int64Type>;
template class SparseColumn<parquet::DoubleType>;

}  // namespace mytsdb::cold
