#include "search/small_gemm.h"

#include <cpuid.h>
#include <immintrin.h>

#include <algorithm>
#include <cstddef>

namespace mytsdb::search {

namespace {

__attribute__((target("avx2,fma,f16c"))) inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// Eight weights as floats, from single or half precision.
__attribute__((target("avx2,fma"))) inline __m256 LoadWeights(const float* w) { return _mm256_loadu_ps(w); }
__attribute__((target("avx2,fma,f16c"))) inline __m256 LoadWeights(const uint16_t* w) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
}
inline float WeightAt(const float* w, int i) { return w[i]; }
__attribute__((target("f16c"))) inline float WeightAt(const uint16_t* w, int i) { return _cvtsh_ss(w[i]); }

// y[r * y_stride] = x_r · wr for the rows r of a block, their
// accumulators in registers.
template <int Rows, typename W>
__attribute__((target("avx2,fma,f16c"))) void Dots(const float* x, int k, const W* wr, float* y, int y_stride) {
  const int vec_k = k - k % 8;
  __m256 acc[Rows];
  for (int r = 0; r < Rows; ++r) acc[r] = _mm256_setzero_ps();
  for (int i = 0; i < vec_k; i += 8) {
    const __m256 wv = LoadWeights(wr + i);
    for (int r = 0; r < Rows; ++r) {
      acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x + static_cast<size_t>(r) * k + i), wv, acc[r]);
    }
  }
  for (int r = 0; r < Rows; ++r) {
    float sum = HorizontalSum(acc[r]);
    for (int i = vec_k; i < k; ++i) sum += x[static_cast<size_t>(r) * k + i] * WeightAt(wr, i);
    y[static_cast<size_t>(r) * y_stride] = sum;
  }
}

constexpr int kMaxBlock = 8;

template <typename W>
using DotsFn = void (*)(const float*, int, const W*, float*, int);
template <typename W>
constexpr DotsFn<W> kDots[kMaxBlock + 1] = {nullptr,     Dots<1, W>, Dots<2, W>, Dots<3, W>, Dots<4, W>,
                                            Dots<5, W>,  Dots<6, W>, Dots<7, W>, Dots<8, W>};

// Block by block of rows (in L1), every weight row multiplied with the
// block's rows: the weights are read once per block of 8 rows, from
// memory for the first and mostly from cache after. (Weight row by weight
// row over all blocks was slower for 19 rows: 12.7 against 10.3 ms a text.)
template <typename W>
void Gemm(const float* x, int rows, int k, const W* w, int n, float* y, int y_stride) {
  for (int r = 0; r < rows; r += kMaxBlock) {
    const int block = std::min(kMaxBlock, rows - r);
    const float* xb = x + static_cast<size_t>(r) * k;
    float* yb = y + static_cast<size_t>(r) * y_stride;
    for (int o = 0; o < n; ++o) kDots<W>[block](xb, k, w + static_cast<size_t>(o) * k, yb + o, y_stride);
  }
}

}  // namespace

bool SmallGemmAvailable() { return SmallGemmHalfAvailable(); }

bool SmallGemmHalfAvailable() {
  static const bool available = [] {
    // clang 14's __builtin_cpu_supports does not know F16C: CPUID leaf 1,
    // ECX bit 29. AVX2 and FMA come from the builtin, which also checks
    // that the OS saves the AVX registers.
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
    return f16c && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return available;
}

__attribute__((target("avx2,f16c"))) std::vector<uint16_t> ToHalf(const float* values, size_t n) {
  std::vector<uint16_t> out(n);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(values + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out.data() + i), h);
  }
  for (; i < n; ++i) out[i] = _cvtss_sh(values[i], _MM_FROUND_TO_NEAREST_INT);
  return out;
}

void SmallGemm(const float* x, int rows, int k, const float* w, int n, float* y) { Gemm(x, rows, k, w, n, y, n); }

void SmallGemmHalf(const float* x, int rows, int k, const uint16_t* w, int n, float* y, int y_stride) {
  Gemm(x, rows, k, w, n, y, y_stride == 0 ? n : y_stride);
}

}  // namespace mytsdb::search
