#include "cold/page_reader.h"

#include <parquet/column_page.h>
#include <parquet/exception.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "cold/arrow_io.h"
#include "cold/page_header.h"

namespace mytsdb::cold {

namespace {

// No page of a sane file comes near this; a header that claims more is
// corrupt, and must not make the reader allocate it.
constexpr int64_t kMaxPageBytes = int64_t{256} << 20;

[[noreturn]] void Throw(const std::string& what) { throw parquet::ParquetException(what); }

parquet::Encoding::type ToEncoding(int32_t value) {
  if (value < 0 || value > parquet::Encoding::BYTE_STREAM_SPLIT || value == 1) {
    return parquet::Encoding::UNKNOWN;  // the column reader then says which
  }
  return static_cast<parquet::Encoding::type>(value);
}

}  // namespace

Status PageDecompressors::Decompress(parquet::Compression::type codec, std::span<const uint8_t> in,
                                     std::span<uint8_t> out) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.codec == codec; });
  if (it == entries_.end()) {
    Entry entry{codec, nullptr, nullptr};
    try {
      entry.one_shot = parquet::GetCodec(codec);
    } catch (const std::exception& e) {
      return FromException(e, "decompress page");
    }
    if (entry.one_shot == nullptr) return Status::Corruption("decompress page: no codec");
    auto stream = entry.one_shot->MakeDecompressor();  // not every codec has one (Snappy)
    if (stream.ok()) entry.stream = std::move(*stream);
    entries_.push_back(std::move(entry));
    it = std::prev(entries_.end());
  }
  const auto in_size = static_cast<int64_t>(in.size());
  const auto out_size = static_cast<int64_t>(out.size());
  if (it->stream == nullptr) {
    auto n = it->one_shot->Decompress(in_size, in.data(), out_size, out.data());
    if (!n.ok()) return Status::Corruption("decompress page: " + n.status().message());
    if (*n != out_size) return Status::Corruption("decompress page: fewer bytes than its header says");
    return Status::OK();
  }
  arrow::util::Decompressor& stream = *it->stream;
  int64_t read = 0, written = 0;
  if (auto st = stream.Reset(); !st.ok()) return Status::Corruption("decompress page: " + st.message());
  for (;;) {
    auto r = stream.Decompress(in_size - read, in.data() + read, out_size - written, out.data() + written);
    if (!r.ok()) return Status::Corruption("decompress page: " + r.status().message());
    read += r->bytes_read;
    written += r->bytes_written;
    if (stream.IsFinished()) {
      if (read == in_size) break;
      // Another frame follows (a writer may concatenate them).
      if (auto st = stream.Reset(); !st.ok()) return Status::Corruption("decompress page: " + st.message());
      continue;
    }
    if (r->bytes_read == 0 && r->bytes_written == 0) {
      return Status::Corruption(written == out_size ? "decompress page: more bytes than its header says"
                                                    : "decompress page: truncated");
    }
  }
  if (written != out_size) return Status::Corruption("decompress page: fewer bytes than its header says");
  return Status::OK();
}

std::vector<KeptPage> PagesHolding(const std::vector<parquet::PageLocation>& locations,
                                   int64_t row_group_rows,
                                   const std::vector<std::pair<int64_t, int64_t>>& wanted) {
  std::vector<KeptPage> kept;
  auto range = wanted.begin();
  for (size_t i = 0; i < locations.size() && range != wanted.end(); ++i) {
    const int64_t first = locations[i].first_row_index;
    const int64_t end = i + 1 < locations.size() ? locations[i + 1].first_row_index : row_group_rows;
    while (range != wanted.end() && range->second <= first) ++range;  // ends before this page
    if (range == wanted.end() || range->first >= end) continue;
    int64_t last = first;  // the end of the page's last wanted row
    for (auto r = range; r != wanted.end() && r->first < end; ++r) last = std::min(r->second, end);
    kept.push_back({i, first, end - first, last - first});
  }
  return kept;
}

Result<std::unique_ptr<SelectedPageReader>> SelectedPageReader::Open(
    arrow::io::RandomAccessFile* file, const parquet::ColumnChunkMetaData& chunk,
    const std::vector<parquet::PageLocation>& locations, int64_t row_group_rows,
    std::span<const KeptPage> kept, PageDecompressors* decompressors) {
  // (Some writers leave the dictionary page's offset 0 and point
  // data_page_offset at it instead; the pages before the first data page
  // are read as the dictionary either way.)
  const int64_t chunk_start = chunk.has_dictionary_page() && chunk.dictionary_page_offset() > 0
                                  ? std::min(chunk.dictionary_page_offset(), chunk.data_page_offset())
                                  : chunk.data_page_offset();
  const int64_t chunk_end = chunk_start + chunk.total_compressed_size();
  auto bad = [](const std::string& what) { return Status::Corruption("offset index: " + what); };
  if (locations.empty() || locations[0].first_row_index != 0) return bad("no page at row 0");
  for (size_t i = 0; i < locations.size(); ++i) {
    const parquet::PageLocation& p = locations[i];
    if (p.compressed_page_size <= 0 || p.offset < chunk_start ||
        p.offset + p.compressed_page_size > chunk_end) {
      return bad("a page outside its column chunk");
    }
    if (p.first_row_index >= row_group_rows) return bad("a page past the row group's rows");
    if (i > 0 && (p.first_row_index <= locations[i - 1].first_row_index ||
                  p.offset < locations[i - 1].offset + locations[i - 1].compressed_page_size)) {
      return bad("pages out of order");
    }
  }

  std::unique_ptr<SelectedPageReader> reader(new SelectedPageReader(chunk.compression(), decompressors));
  auto read = [&](int64_t offset, int64_t size, Extent extent) -> Status {
    auto bytes = file->ReadAt(offset, size);
    if (!bytes.ok()) return FromArrow(bytes.status(), "read pages");
    if ((*bytes)->size() != size) return Status::Corruption("pages past the end of the file");
    extent.bytes = std::move(*bytes);
    reader->extents_.push_back(std::move(extent));
    return Status::OK();
  };
  // Whatever precedes the first data page is the dictionary page.
  if (locations[0].offset > chunk_start) {
    const int64_t size = locations[0].offset - chunk_start;
    RETURN_NOT_OK(read(chunk_start, size, Extent{nullptr, true, {-1}, {size}}));
  }
  for (size_t k = 0; k < kept.size();) {
    // A run of adjacent pages: one read.
    Extent extent;
    const int64_t start = locations[kept[k].index].offset;
    int64_t end = start;
    do {
      const size_t i = kept[k].index;
      if (i >= locations.size()) return Status::Internal("page index out of range");
      extent.page_rows.push_back(kept[k].num_rows);
      extent.page_sizes.push_back(locations[i].compressed_page_size);
      end = locations[i].offset + locations[i].compressed_page_size;
      ++k;
    } while (k < kept.size() && locations[kept[k].index].offset == end);
    RETURN_NOT_OK(read(start, end - start, std::move(extent)));
  }
  return reader;
}

std::shared_ptr<parquet::Page> SelectedPageReader::NextPage() {
  while (extent_ < extents_.size()) {
    const Extent& extent = extents_[extent_];
    if (page_ == extent.page_sizes.size()) {
      ++extent_;
      page_ = 0;
      position_ = 0;
      continue;
    }
    const int64_t offset = position_;
    const int64_t size = extent.page_sizes[page_];
    const int64_t rows = extent.page_rows[page_];
    position_ += size;
    ++page_;
    return Decode(extent.bytes, offset, size, rows, extent.dictionary);
  }
  return nullptr;
}

std::shared_ptr<parquet::Page> SelectedPageReader::Decode(const std::shared_ptr<arrow::Buffer>& bytes,
                                                          int64_t offset, int64_t size, int64_t rows,
                                                          bool dictionary) {
  PageHeader h;
  size_t header_size = 0;
  Status st = ParsePageHeader({bytes->data() + offset, static_cast<size_t>(size)}, &h, &header_size);
  if (!st.ok()) Throw(st.message());
  if (static_cast<int64_t>(header_size) + h.compressed_size != size) {
    Throw("page size differs from the offset index's");
  }
  if (h.uncompressed_size > kMaxPageBytes) Throw("page header: page too large");
  const int64_t payload = offset + static_cast<int64_t>(header_size);
  const bool compressed = codec_ != parquet::Compression::UNCOMPRESSED;
  if (dictionary) {
    if (h.kind != PageKind::kDictionary) Throw("a page before the first data page is no dictionary");
    return std::make_shared<parquet::DictionaryPage>(
        Payload(bytes, payload, h.compressed_size, h.uncompressed_size, 0, compressed, true),
        h.num_values, ToEncoding(h.encoding), h.is_sorted);
  }
  switch (h.kind) {
    case PageKind::kData:
      if (h.num_values != rows) Throw("page rows differ from the offset index's");
      return std::make_shared<parquet::DataPageV1>(
          Payload(bytes, payload, h.compressed_size, h.uncompressed_size, 0, compressed, false),
          h.num_values, ToEncoding(h.encoding), ToEncoding(h.definition_level_encoding),
          ToEncoding(h.repetition_level_encoding), h.uncompressed_size);
    case PageKind::kDataV2: {
      if (h.num_rows != rows) Throw("page rows differ from the offset index's");
      const int64_t levels = int64_t{h.definition_levels_byte_length} + h.repetition_levels_byte_length;
      return std::make_shared<parquet::DataPageV2>(
          Payload(bytes, payload, h.compressed_size, h.uncompressed_size, levels,
                  compressed && h.is_compressed, false),
          h.num_values, h.num_nulls, h.num_rows, ToEncoding(h.encoding),
          h.definition_levels_byte_length, h.repetition_levels_byte_length, h.uncompressed_size,
          h.is_compressed);
    }
    default:
      Throw("the offset index points at a page that holds no data");
  }
}

std::shared_ptr<arrow::Buffer> SelectedPageReader::Payload(const std::shared_ptr<arrow::Buffer>& bytes,
                                                           int64_t offset, int64_t size,
                                                           int64_t uncompressed_size, int64_t levels_size,
                                                           bool compressed, bool own_buffer) {
  if (!compressed) {
    if (size != uncompressed_size) Throw("page header: sizes of an uncompressed page differ");
    return arrow::SliceBuffer(bytes, offset, size);
  }
  std::shared_ptr<arrow::ResizableBuffer> out;
  if (own_buffer || scratch_ == nullptr) {
    auto made = arrow::AllocateResizableBuffer(uncompressed_size, ArrowMemoryPool());
    if (!made.ok()) Throw("allocate a page: " + made.status().message());
    out = std::move(*made);
    if (!own_buffer) scratch_ = out;
  } else {
    out = scratch_;
    if (auto st = out->Resize(uncompressed_size, /*shrink_to_fit=*/false); !st.ok()) {
      Throw("allocate a page: " + st.message());
    }
  }
  const uint8_t* in = bytes->data() + offset;
  uint8_t* dst = out->mutable_data();
  if (levels_size > 0) std::memcpy(dst, in, static_cast<size_t>(levels_size));
  Status st = decompressors_->Decompress(
      codec_, {in + levels_size, static_cast<size_t>(size - levels_size)},
      {dst + levels_size, static_cast<size_t>(uncompressed_size - levels_size)});
  if (!st.ok()) Throw(st.message());
  return arrow::SliceBuffer(out, 0, uncompressed_size);
}

}  // namespace mytsdb::cold
