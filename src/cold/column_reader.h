// Reading the cold tier's Parquet files: opening a file through
// io::FileSystem, string columns (plain or dictionary-encoded) by row, and
// numeric columns decoding only the data pages that hold wanted rows.
#pragma once

#include <arrow/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/column_reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cold/page_reader.h"
#include "common/result.h"
#include "io/file_system.h"

namespace mytsdb::cold {

// A Parquet reader of `path`, reusing already-read `metadata` if given
// (nullptr: read the footer). Corruption if the file does not decode.
Result<std::unique_ptr<parquet::arrow::FileReader>> OpenParquet(
    io::FileSystem* fs, const std::string& path,
    const std::shared_ptr<parquet::FileMetaData>& metadata = nullptr);

// The series key of one row group, read through Parquet's column readers
// rather than into Arrow arrays (which re-hashed every row's string into a
// dictionary: most of the start-up's time, docs/BENCHMARKS.md): where each
// run of equal series_id starts, and the strings of the key columns at
// those rows only.
struct KeyRuns {
  std::vector<int64_t> starts;  // first row (within the row group) of each run
  std::vector<int64_t> ids;     // the run's series_id
  // strings[c][k]: column c at the first row of run k; nullopt for null.
  std::vector<std::vector<std::optional<std::string>>> strings;
};

// `id_column`: an INT64 leaf without nulls; `string_columns`: BYTE_ARRAY
// leaves. Replaces *out. Corruption if a column's rows do not add up to the
// row group's.
Status ReadKeyRuns(parquet::RowGroupReader& rg, int id_column, const std::vector<int>& string_columns,
                   KeyRuns* out);

// Rows of one column of a row group, decoding only the data pages that hold
// wanted rows: the page filter runs before a page is decompressed, so a
// query for a few series decompresses a few 20,000-row pages instead of the
// whole row group.
template <typename DType>
class SparseColumn {
 public:
  using T = typename DType::c_type;

  // `wanted`: sorted, non-overlapping [first, end) row ranges of the row group.
  Status Read(parquet::RowGroupReader& rg, int column,
              const std::vector<std::pair<int64_t, int64_t>>& wanted);
  // The same, reading only the pages that the column chunk's offset index
  // (`pages`) locates (page_reader.h), and decoding each only up to its
  // last wanted row.
  Status Read(arrow::io::RandomAccessFile* file, const parquet::RowGroupMetaData& rg, int column,
              const std::vector<parquet::PageLocation>& pages,
              const std::vector<std::pair<int64_t, int64_t>>& wanted,
              PageDecompressors* decompressors);

  // Where the values of rows [first, first + n) are: a run of values_ when
  // the rows lie in consecutive kept pages (as wanted rows always do). A
  // null row's value is 0.
  const T* rows(int64_t first) const;
  // For a nullable column, whether each of those rows is non-null (1) or
  // null (0), in the same layout; nullptr for a required column.
  const uint8_t* valid(int64_t first) const;

 private:
  struct Page {
    int64_t first_row;
    int64_t num_rows;
    int64_t offset;  // into values_
  };
  const Page& PageOf(int64_t row) const;
  // Room for `rows` rows, so that values_ never moves while pages come in.
  void Reserve(int64_t rows, bool nullable);
  // Decodes up to `max_rows` rows (within the reader's current page) onto
  // the end of values_ (and valid_): how many it did.
  Result<int64_t> AppendBatch(parquet::TypedColumnReader<DType>* reader, int64_t max_rows);

  // Leaves new elements uninitialised: every one is written by the decoder
  // before it is read, and zeroing them first cost a pass over the buffer.
  template <typename U>
  struct UninitialisedAllocator : std::allocator<U> {
    template <typename V>
    struct rebind {
      using other = UninitialisedAllocator<V>;
    };
    template <typename V>
    void construct(V* p) noexcept {
      ::new (static_cast<void*>(p)) V;
    }
    template <typename V, typename... Args>
    void construct(V* p, Args&&... args) {
      ::new (static_cast<void*>(p)) V(std::forward<Args>(args)...);
    }
  };

  std::vector<Page> pages_;
  size_t pages_total_ = 0;
  std::vector<T, UninitialisedAllocator<T>> values_;
  std::vector<uint8_t, UninitialisedAllocator<uint8_t>> valid_;  // nullable columns only
  int16_t max_def_ = 0;
  std::vector<int16_t> def_;  // a batch's definition levels
};

extern template class SparseColumn<parquet::Int64Type>;
extern template class SparseColumn<parquet::DoubleType>;

}  // namespace mytsdb::cold
