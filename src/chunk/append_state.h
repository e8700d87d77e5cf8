// AppendState: what an encoder needs to know about a chunk's newest samples
// to append the next one, apart from the chunk's stream, sample count and
// last timestamp. XorChunk keeps one inside; a head series keeps one for its
// newest chunk only, so that the chunks it has closed (most of the head)
// carry none of it.
#pragma once

#include <cstdint>

#include "chunk/bit_stream.h"

namespace mytsdb::chunk {

struct AppendState {
  static constexpr uint8_t kNoWindow = 0xff;

  uint64_t last_delta = 0;        // last timestamp - the one before, modulo 2^64
  uint64_t last_value = 0;        // XOR: the value's bits; decimal: its integer
  int64_t last_integer_delta = 0;  // decimal: last integer - the one before
  uint8_t leading = kNoWindow;     // XOR: the window of the last '11' value
  uint8_t trailing = 0;
};

namespace internal {

// Append one sample to a stream holding `num_samples` samples, the newest
// at `last_t` (ignored when num_samples == 0); `state` describes them and
// is advanced. Layouts: xor_chunk.h and decimal_chunk.h.
void AppendXor(BitWriter* writer, uint16_t num_samples, int64_t last_t, int64_t t, uint64_t bits,
               AppendState* state);
void AppendDecimal(BitWriter* writer, uint16_t num_samples, int64_t last_t, int64_t t,
                   int64_t integer, AppendState* state);

}  // namespace internal
}  // namespace mytsdb::chunk
