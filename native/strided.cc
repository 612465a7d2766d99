// The view kernels of src/kernels/reference/strided.ts, float32, as N-API functions:
//   stridedCopy(out, x, offset, shape, strides)       out[i] = x[offset + Σ_d idx_d · strides[d]]
//   stridedScatter(dst, offset, shape, strides, src, accumulate)
//                                                     dst[offset + Σ_d idx_d · strides[d]] (+)= src[i]
// shape and strides are JavaScript arrays (rank ≤ 16). Every index the call can reach is checked
// against the arrays' lengths before the loops, so a wrong stride is an error, not a stray write.
// The innermost axis is a memcpy when contiguous; a stride of 0 (a broadcast) sums in double
// before its one store, as the reference does.
#include "strided.h"

#include <cstring>
#include <string>
#include <vector>

namespace attend {
namespace {

constexpr uint32_t MAX_RANK = 16;

bool get_dims(napi_env env, napi_value shape_v, napi_value strides_v, const char* what, std::vector<int64_t>& shape,
              std::vector<int64_t>& strides) {
  uint32_t rank = 0, rank2 = 0;
  bool is_array = false, is_array2 = false;
  napi_is_array(env, shape_v, &is_array);
  napi_is_array(env, strides_v, &is_array2);
  if (!is_array || !is_array2 || napi_get_array_length(env, shape_v, &rank) != napi_ok ||
      napi_get_array_length(env, strides_v, &rank2) != napi_ok || rank != rank2 || rank > MAX_RANK)
    return fail(env, std::string(what) + ": shape and strides must be arrays of one length ≤ 16");
  shape.resize(rank);
  strides.resize(rank);
  for (uint32_t d = 0; d < rank; d++) {
    napi_value a, b;
    double x, y;
    napi_get_element(env, shape_v, d, &a);
    napi_get_element(env, strides_v, d, &b);
    if (napi_get_value_double(env, a, &x) != napi_ok || napi_get_value_double(env, b, &y) != napi_ok || !(x >= 0) ||
        x != double(int64_t(x)) || !(y >= 0) || y != double(int64_t(y)) || x > 9e15 || y > 9e15)
      return fail(env, std::string(what) + ": shape and strides must hold non-negative integers");
    shape[d] = int64_t(x);
    strides[d] = int64_t(y);
  }
  return true;
}

// Σ shape, and the largest index reached (offset + Σ (shape_d − 1)·stride_d), or −1 when empty.
void extent(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t offset, int64_t& total,
            int64_t& last) {
  total = 1;
  last = offset;
  for (size_t d = 0; d < shape.size(); d++) {
    total *= shape[d];
    if (shape[d] > 0) last += (shape[d] - 1) * strides[d];
  }
  if (total == 0) last = -1;
}

// Calls fn(base, o) for each innermost row: base into the strided array, o into the contiguous one.
template <class F>
void rows(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t offset, int64_t total, F fn) {
  const size_t rank = shape.size();
  if (rank == 0) return fn(offset, int64_t(0));
  const int64_t n = shape[rank - 1];
  int64_t idx[MAX_RANK] = {};
  int64_t base = offset;
  for (int64_t o = 0; o < total; o += n) {
    fn(base, o);
    for (int d = int(rank) - 2; d >= 0; d--) {  // the odometer
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= idx[d] * strides[d];
      idx[d] = 0;
    }
  }
}

napi_value StridedCopy(napi_env env, napi_callback_info info) {
  const char* what = "stridedCopy";
  napi_value argv[5];
  float *out, *x;
  size_t out_len = 0, x_len = 0;
  int64_t offset;
  std::vector<int64_t> shape, strides;
  if (!get_args(env, info, argv, what) || !get_f32(env, argv[0], what, "out", -1, out, &out_len) ||
      !get_f32(env, argv[1], what, "x", -1, x, &x_len) || !get_int(env, argv[2], what, "offset", offset) ||
      !get_dims(env, argv[3], argv[4], what, shape, strides))
    return nullptr;
  int64_t total, last;
  extent(shape, strides, offset, total, last);
  if (total > int64_t(out_len) || last >= int64_t(x_len))
    return fail(env, "stridedCopy: the view reaches past out or x"), nullptr;
  if (total == 0) return nullptr;
  const int64_t n = shape.empty() ? 1 : shape.back();
  const int64_t s = shape.empty() ? 1 : strides.back();
  rows(shape, strides, offset, total, [&](int64_t base, int64_t o) {
    if (s == 1)
      std::memcpy(out + o, x + base, size_t(n) * sizeof(float));
    else
      for (int64_t j = 0; j < n; j++) out[o + j] = x[base + j * s];
  });
  return nullptr;
}

napi_value StridedScatter(napi_env env, napi_callback_info info) {
  const char* what = "stridedScatter";
  napi_value argv[6];
  float *dst, *src;
  size_t dst_len = 0, src_len = 0;
  int64_t offset;
  bool accumulate;
  std::vector<int64_t> shape, strides;
  if (!get_args(env, info, argv, what) || !get_f32(env, argv[0], what, "dst", -1, dst, &dst_len) ||
      !get_int(env, argv[1], what, "offset", offset) || !get_dims(env, argv[2], argv[3], what, shape, strides) ||
      !get_f32(env, argv[4], what, "src", -1, src, &src_len) || !get_bool(env, argv[5], accumulate))
    return nullptr;
  int64_t total, last;
  extent(shape, strides, offset, total, last);
  if (total > int64_t(src_len) || last >= int64_t(dst_len))
    return fail(env, "stridedScatter: the view reaches past dst or src"), nullptr;
  if (total == 0) return nullptr;
  const int64_t n = shape.empty() ? 1 : shape.back();
  const int64_t s = shape.empty() ? 1 : strides.back();
  rows(shape, strides, offset, total, [&](int64_t base, int64_t o) {
    if (!accumulate) {
      for (int64_t j = 0; j < n; j++) dst[base + j * s] = src[o + j];
    } else if (s == 0) {
      double acc = 0;  // summed in double before the one store, as the reference
      for (int64_t j = 0; j < n; j++) acc += src[o + j];
      dst[base] = float(double(dst[base]) + acc);
    } else if (s == 1) {
      float* d = dst + base;
      const float* r = src + o;
      for (int64_t j = 0; j < n; j++) d[j] += r[j];
    } else {
      for (int64_t j = 0; j < n; j++) dst[base + j * s] += src[o + j];
    }
  });
  return nullptr;
}

}  // namespace

void register_strided(napi_env env, napi_value exports) {
  export_function(env, exports, "stridedCopy", StridedCopy);
  export_function(env, exports, "stridedScatter", StridedScatter);
}

}  // namespace attend
