#include "chunk/head_chunk.h"

#include <algorithm>
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

// The trailing zero bits of `integer`, at most HeadChunk's largest shift
// (zero has them all).
int TrailingZeros(int64_t integer) {
  return std::min(std::countr_zero(static_cast<uint64_t>(integer)), HeadChunk::kMaxShift);
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
  if (is_decimal()) {
    int64_t integer;
    bool fits;
    if (num_samples_ == 0) {
      const int scale = decimal::SmallestScale(v, 0, &integer);
      fits = scale >= 0;
      if (fits) {
        scale_ = static_cast<uint8_t>(scale);
        shift_ = static_cast<uint8_t>(TrailingZeros(integer));
      }
    } else {
      fits = decimal::AsDecimal(v, decimal::kPowersOfTen[scale_], &integer);
      if (!fits) {
        const int scale = decimal::SmallestScale(v, scale_ + 1, &integer);
        // The integers so far, times 10^(scale - scale_), gain as many
        // trailing zeros (10 = 2 x 5).
        const int shift = std::min({shift_ + scale - scale_, TrailingZeros(integer), kMaxShift});
        fits = scale > 0 && Reencode(scale, shift, state);
      } else if (TrailingZeros(integer) < shift_) {
        fits = Reencode(scale_, TrailingZeros(integer), state);
      }
    }
    if (fits) {
      // Exact: the low shift_ bits are zero (>> of a negative rounds down).
      internal::AppendDecimal(&writer_, num_samples_, last_t, t, integer >> shift_, state);
    } else {
      // The first value that is no decimal: the samples so far, this one and
      // all later ones go to the XOR encoding.
      MoveToXor(state);
    }
  }
  if (!is_decimal()) {
    internal::AppendXor(&writer_, num_samples_, last_t, t, std::bit_cast<uint64_t>(v), state);
  }
  max_offset_ = static_cast<uint32_t>(t - min_time_);
  ++num_samples_;
}

bool HeadChunk::Reencode(int scale, int shift, AppendState* state) {
  const int64_t factor = decimal::kPowersOfTen[scale - scale_];
  const int64_t limit = decimal::kMaxExactInteger / factor;
  std::vector<std::pair<int64_t, int64_t>> samples;
  samples.reserve(num_samples_);
  DecimalIterator it(bytes(), num_samples_, scale_, shift_, min_time_);
  while (it.Next()) {
    if (it.integer() >= limit || it.integer() <= -limit) return false;
    samples.emplace_back(it.t(), (it.integer() * factor) >> shift);
  }
  writer_ = Encode(samples, writer_.capacity(), state, internal::AppendDecimal);
  scale_ = static_cast<uint8_t>(scale);
  shift_ = static_cast<uint8_t>(shift);
  return true;
}

void HeadChunk::MoveToXor(AppendState* state) {
  std::vector<std::pair<int64_t, uint64_t>> samples;
  samples.reserve(num_samples_);
  DecimalIterator it(bytes(), num_samples_, scale_, shift_, min_time_);
  while (it.Next()) samples.emplace_back(it.t(), it.value_bits());
  writer_ = Encode(samples, writer_.capacity(), state, internal::AppendXor);
  scale_ = kXor;
  shift_ = 0;
}

}  // namespace mytsdb::chunk
