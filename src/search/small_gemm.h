// y = x W^T for a handful of rows x (a search question's 5-20 tokens),
// reading the weights W once, straight from where they lie. OpenBLAS's
// sgemm copies (packs) all of W on every call, which for so few rows costs
// more than the arithmetic (65% of a question's time, by perf); this
// kernel is AVX2+FMA, chosen at run time, so the build needs no -march.
// Reading the weights is then most of the time: a copy of them as
// half-precision floats (F16C), half the bytes, serves the same products
// (the sums stay single precision).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mytsdb::search {

// Whether SmallGemm can run on this CPU (AVX2 and FMA).
bool SmallGemmAvailable();

// y[rows × n] = x[rows × k] · w[n × k]^T, all row-major. Only when
// SmallGemmAvailable().
void SmallGemm(const float* x, int rows, int k, const float* w, int n, float* y);

// Whether the half-precision variant can run (AVX2, FMA and F16C).
bool SmallGemmHalfAvailable();
// `n` floats as IEEE half precision (round to nearest even). Only when
// SmallGemmHalfAvailable().
std::vector<uint16_t> ToHalf(const float* values, size_t n);
// SmallGemm with w in half precision; y's rows `y_stride` floats apart
// (0: n), so that a part of the outputs can be computed apart.
void SmallGemmHalf(const float* x, int rows, int k, const uint16_t* w, int n, float* y, int y_stride = 0);

}  // namespace mytsdb::search
