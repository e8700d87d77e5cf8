// CRC-32C (Castagnoli), the checksum of every WAL record. Uses the SSE4.2
// crc32 instruction when the CPU has it, a table otherwise; both give the same
// result (tested).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mytsdb::crc32c {

// CRC of data[0, n) continuing from `crc` (the CRC of what came before).
uint32_t Extend(uint32_t crc, const void* data, size_t n);
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// The portable path alone, for tests.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);

}  // namespace mytsdb::crc32c
