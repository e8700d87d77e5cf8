// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78): the
// checksum of every WAL record (docs/format/wal.md).
//
// Extend() uses the SSE4.2 `crc32` instruction when the CPU has it (checked
// once at run time with __builtin_cpu_supports), and a table otherwise. Both
// give the same result; crc32c_test.cc checks them against each other and
// against the RFC 3720 (iSCSI) vectors.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mytsdb::crc32c {

// CRC of data[0, n) continuing from `crc`, the CRC of what came before:
// Extend(Value(a), b) == Value(a + b). Value of nothing is 0.
uint32_t Extend(uint32_t crc, const void* data, size_t n);
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// The two implementations, for tests and benchmarks. ExtendHardware must only
// be called when IsHardwareAccelerated().
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);
uint32_t ExtendHardware(uint32_t crc, const void* data, size_t n);
bool IsHardwareAccelerated();

// A CRC stored inside data that is itself checksummed should be masked
// (LevelDB's util/crc32c.h): the CRC of a string that contains its own CRC
// is otherwise prone to degenerate cases.
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline constexpr uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline constexpr uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace mytsdb::crc32c
