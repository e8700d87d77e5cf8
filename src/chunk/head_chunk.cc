#include "chunk/head_chunk.h"

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/decimal.h"

namespace mytsdb::chunk {

namespace {

// First buffer: a 120-sample decimal chunk of a regular scrape takes 150-250
// bytes, an XOR one about 90 samples' worth (Prometheus also starts at 128).
constexpr size_t kInitialCapacity = 128;

// A fresh stream of `samples` (timestamp, value as `append` takes it),
// leaving `state` describing its newest sample.
template <class Value, class Append>
BitWriter Encode(const std::vector<std::pair<int64_t, Value>>& samples, size_t capacity,
                 AppendState* state, Append append) {
  BitWriter out;
  out.Reserve(capacity);
  for (size_t i = 0; i < samples.size(); ++i) {
    append(&out, static_cast<uint16_t>(i), i == 0 ? 0 : samples[i - 1].first, samples[i].first,
           samples[i].second, state);
  }
  return out;
}

}  // namespace

void HeadChunk::Append(int64_t t, double v, AppendState* state) {
  if (num_samples_ == kMaxSamples) {
    std::fputs("HeadChunk::Append: chunk already holds 65535 samples\n", stderr);
    std::abort();
  }
  if (num_samples_ == 0) {
    writer_.Reserve(kInitialCapacity);
    min_time_ = t;
  } else if (static_cast<uint64_t>(t) - static_cast<uint64_t>(min_time_) >
             static_cast<uint64_t>(kMaxSpanMs)) {
    std::fputs("HeadChunk::Append: chunk would span more than 2^32 ms\n", stderr);
    std::abort();
  }
  const int64_t last_t = max_time();
  if (decimal_) {
    int64_t integer;
    bool fits;
    if (num_samples_ == 0) {
      const int scale = decimal::SmallestScale(v, 0, &integer);
      fits = scale >= 0;
      if (fits) scale_ = static_cast<uint8_t>(scale);
    } else {
      fits = decimal::AsDecimal(v, decimal::kPowersOfTen[scale_], &integer);
      if (!fits) {
        const int scale = decimal::SmallestScale(v, scale_ + 1, &integer);
        fits = scale > 0 && Rescale(scale, state);
      }
    }
    if (fits) {
      internal::AppendDecimal(&writer_, num_samples_, last_t, t, integer, state);
    } else {
      // The first value that is no decimal: the samples so far, this one and
      // all later ones go to the XOR encoding.
      MoveToXor(state);
    }
  }
  if (!decimal_) {
    internal::AppendXor(&writer_, num_samples_, last_t, t, std::bit_cast<uint64_t>(v), state);
  }
  max_offset_ = static_cast<uint32_t>(t - min_time_);
  ++num_samples_;
}

bool HeadChunk::Rescale(int scale, AppendState* state) {
  const int64_t factor = decimal::kPowersOfTen[scale - scale_];
  const int64_t limit = decimal::kMaxExactInteger / factor;
  std::vector<std::pair<int64_t, int64_t>> samples;
  samples.reserve(num_samples_);
  DecimalIterator it(bytes(), num_samples_, scale_, min_time_);
  while (it.Next()) {
    if (it.integer() >= limit || it.integer() <= -limit) return false;
    samples.emplace_back(it.t(), it.integer() * factor);
  }
  writer_ = Encode(samples, writer_.capacity(), state, internal::AppendDecimal);
  scale_ = static_cast<uint8_t>(scale);
  return true;
}

void HeadChunk::MoveToXor(AppendState* state) {
  std::vector<std::pair<int64_t, uint64_t>> samples;
  samples.reserve(num_samples_);
  DecimalIterator it(bytes(), num_samples_, scale_, min_time_);
  while (it.Next()) samples.emplace_back(it.t(), it.value_bits());
  writer_ = Encode(samples, writer_.capacity(), state, internal::AppendXor);
  decimal_ = false;
  scale_ = 0;
}

}  // namespace mytsdb::chunk
