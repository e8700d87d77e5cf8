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
    parquet::ReaderProperties props = parquet::default_reader_properties();
    props.enable_buffered_stream();
    props.set_buffer_size(256 * 1024);
    pq = parquet::ParquetFileReader::Open(file, props, metadata);
  } catch (const std::exception& e) {
    return FromException(e, "read " + path);
  }
  auto reader = parquet::arrow::FileReader::Make(arrow::default_memory_pool(), std::move(pq),
                                                parquet::default_arrow_reader_properties());
  if (!reader.ok()) return FromArrow(reader.status(), "read " + path);
  return std::move(*reader);
}

StringColumn::StringColumn(std::shared_ptr<arrow::ChunkedArray> column)
    : column_(std::move(column)) {
  int64_t offset = 0;
  for (const auto& chunk : column_->chunks()) {
    starts_.push_back(offset);
    offset += chunk->length();
  }
}

std::optional<std::string_view> StringColumn::At(int64_t row) const {
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
        parquet::ColumnReader::Make(descr, std::move(pages), arrow::default_memory_pool());
    auto* typed = static_cast<parquet::TypedColumnReader<DType>*>(reader.get());
    std::vector<int16_t> def(8192);
    while (typed->HasNext()) {
      size_t at = values_.size();
      values_.resize(at + 8192);
      int64_t read = 0;
      int64_t levels = typed->ReadBatch(8192, def.data(), nullptr, values_.data() + at, &read);
      if (read != levels) return Status::Corruption("unexpected null in a required column");
      values_.resize(at + static_cast<size_t>(read));
    }
  } catch (const std::exception& e) {
    return FromException(e, "read column");
  }
  if (values_.size() != pages_total_) return Status::Corruption("page row counts do not add up");
  return Status::OK();
}

template <typename DType>
const typename SparseColumn<DType>::T* SparseColumn<DType>::rows(int64_t first) const {
  auto it = std::upper_bound(pages_.begin(), pages_.end(), first,
                             [](int64_t r, const Page& p) { return r < p.first_row; });
  const Page& p = *std::prev(it);
  return values_.data() + p.offset + (first - p.first_row);
}

template class SparseColumn<parquet::Int64Type>;
template class SparseColumn<parquet::DoubleType>;

}  // namespace mytsdb::cold
