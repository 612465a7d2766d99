// The recurrent cells' elementwise parts (src/kernels/reference/rnn.ts), float32, N-API:
//   gruForward(out, r, z, n, xp, hp, h, rows, H, isa)
//   gruBackward(dx, dhp, dh, dy, r, z, n, hp, h, rows, H, isa)
//   lstmForward(c2, h2, act, tc, xp, hp, c, rows, H, isa)
//   lstmCellBackward(dgates, dc, dy, act, c, rows, H, isa)
//   lstmHiddenBackward(dgates, dc2, dy, act, tc, rows, H, isa)
// σ and tanh are the rational approximations of tanh.h (within 3.5e-7), so each loop over j
// vectorises. A step is rows·H ≈ 10⁴ elements: too little to wake a thread, so no pool.
#include "rnn.h"

#include "tanh.h"

#define ATTEND_INLINE static inline __attribute__((always_inline))

namespace attend {
namespace {

ATTEND_INLINE void gru_fwd(float* out, float* r, float* z, float* n, const float* xp, const float* hp, const float* h,
                           int64_t rows, int64_t H) {
  for (int64_t b = 0; b < rows; b++) {
    const float* x = xp + b * 3 * H;
    const float* p = hp + b * 3 * H;
    for (int64_t j = 0; j < H; j++) {
      const int64_t i = b * H + j;
      const float rv = sigmoid_rational(x[j] + p[j]);
      const float zv = sigmoid_rational(x[H + j] + p[H + j]);
      const float nv = tanh_rational(x[2 * H + j] + rv * p[2 * H + j]);
      r[i] = rv;
      z[i] = zv;
      n[i] = nv;
      out[i] = nv + zv * (h[i] - nv);
    }
  }
}

ATTEND_INLINE void gru_bwd(float* dx, float* dhp, float* dh, const float* dy, const float* r, const float* z,
                           const float* n, const float* hp, const float* h, int64_t rows, int64_t H) {
  for (int64_t b = 0; b < rows; b++) {
    float* gx = dx + b * 3 * H;
    float* gp = dhp + b * 3 * H;
    const float* p = hp + b * 3 * H;
    for (int64_t j = 0; j < H; j++) {
      const int64_t i = b * H + j;
      const float rv = r[i], zv = z[i], nv = n[i], d = dy[i];
      dh[i] = d * zv;
      const float dn = d * (1 - zv) * (1 - nv * nv);
      const float dz = d * (h[i] - nv) * zv * (1 - zv);
      const float dr = dn * p[2 * H + j] * rv * (1 - rv);
      gx[j] = dr;
      gp[j] = dr;
      gx[H + j] = dz;
      gp[H + j] = dz;
      gx[2 * H + j] = dn;
      gp[2 * H + j] = dn * rv;
    }
  }
}

ATTEND_INLINE void lstm_fwd(float* c2, float* h2, float* act, float* tc, const float* xp, const float* hp,
                            const float* c, int64_t rows, int64_t H) {
  for (int64_t b = 0; b < rows; b++) {
    const float* x = xp + b * 4 * H;
    const float* p = hp + b * 4 * H;
    float* a = act + b * 4 * H;
    for (int64_t j = 0; j < H; j++) {
      const float i = a[j] = sigmoid_rational(x[j] + p[j]);
      const float f = a[H + j] = sigmoid_rational(x[H + j] + p[H + j]);
      const float g = a[2 * H + j] = tanh_rational(x[2 * H + j] + p[2 * H + j]);
      const float o = a[3 * H + j] = sigmoid_rational(x[3 * H + j] + p[3 * H + j]);
      const int64_t k = b * H + j;
      const float cv = f * c[k] + i * g;
      const float t = tanh_rational(cv);
      c2[k] = cv;
      tc[k] = t;
      h2[k] = o * t;
    }
  }
}

ATTEND_INLINE void lstm_cell_bwd(float* dgates, float* dc, const float* dy, const float* act, const float* c,
                                 int64_t rows, int64_t H) {
  for (int64_t b = 0; b < rows; b++) {
    const float* a = act + b * 4 * H;
    float* d4 = dgates + b * 4 * H;
    for (int64_t j = 0; j < H; j++) {
      const int64_t k = b * H + j;
      const float i = a[j], f = a[H + j], g = a[2 * H + j], d = dy[k];
      d4[j] = d * g * i * (1 - i);
      d4[H + j] = d * c[k] * f * (1 - f);
      d4[2 * H + j] = d * i * (1 - g * g);
      d4[3 * H + j] = 0;
      dc[k] = d * f;
    }
  }
}

ATTEND_INLINE void lstm_hidden_bwd(float* dgates, float* dc2, const float* dy, const float* act, const float* tc,
                                   int64_t rows, int64_t H) {
  for (int64_t b = 0; b < rows; b++) {
    const float* a = act + b * 4 * H;
    float* d4 = dgates + b * 4 * H;
    for (int64_t j = 0; j < H; j++) {
      const int64_t k = b * H + j;
      const float o = a[3 * H + j], t = tc[k], d = dy[k];
      d4[j] = 0;
      d4[H + j] = 0;
      d4[2 * H + j] = 0;
      d4[3 * H + j] = d * t * o * (1 - o);
      dc2[k] = d * o * (1 - t * t);
    }
  }
}

#define ATTEND_RNN_ISA(NAME, ATTR)                                                                                 \
  ATTR void gru_fwd_##NAME(float* out, float* r, float* z, float* n, const float* xp, const float* hp,             \
                           const float* h, int64_t rows, int64_t H) {                                              \
    gru_fwd(out, r, z, n, xp, hp, h, rows, H);                                                                     \
  }                                                                                                                \
  ATTR void gru_bwd_##NAME(float* dx, float* dhp, float* dh, const float* dy, const float* r, const float* z,       \
                           const float* n, const float* hp, const float* h, int64_t rows, int64_t H) {             \
    gru_bwd(dx, dhp, dh, dy, r, z, n, hp, h, rows, H);                                                             \
  }                                                                                                                \
  ATTR void lstm_fwd_##NAME(float* c2, float* h2, float* act, float* tc, const float* xp, const float* hp,         \
                            const float* c, int64_t rows, int64_t H) {                                             \
    lstm_fwd(c2, h2, act, tc, xp, hp, c, rows, H);                                                                 \
  }                                                                                                                \
  ATTR void lstm_cell_bwd_##NAME(float* dgates, float* dc, const float* dy, const float* act, const float* c,       \
                                 int64_t rows, int64_t H) {                                                        \
    lstm_cell_bwd(dgates, dc, dy, act, c, rows, H);                                                                \
  }                                                                                                                \
  ATTR void lstm_hidden_bwd_##NAME(float* dgates, float* dc2, const float* dy, const float* act, const float* tc,  \
                                   int64_t rows, int64_t H) {                                                      \
    lstm_hidden_bwd(dgates, dc2, dy, act, tc, rows, H);                                                            \
  }

ATTEND_RNN_ISA(portable, )
#if defined(__x86_64__) || defined(__i386__)
ATTEND_RNN_ISA(avx2, __attribute__((target("avx2,fma"))))
ATTEND_RNN_ISA(avx512, __attribute__((target("avx512f"))))
#endif

bool sizes(napi_env env, napi_value* argv, const char* what, int64_t& rows, int64_t& H, Isa& isa) {
  return get_int(env, argv[0], what, "rows", rows) && get_int(env, argv[1], what, "H", H) && get_isa(env, argv[2], isa);
}

napi_value GruForward(napi_env env, napi_callback_info info) {
  const char* what = "gruForward";
  napi_value argv[10];
  int64_t rows, H;
  Isa isa;
  float *out, *r, *z, *n, *xp, *hp, *h;
  if (!get_args(env, info, argv, what) || !sizes(env, argv + 7, what, rows, H, isa)) return nullptr;
  const double size = double(rows) * double(H);
  if (!get_f32(env, argv[0], what, "out", size, out) || !get_f32(env, argv[1], what, "r", size, r) ||
      !get_f32(env, argv[2], what, "z", size, z) || !get_f32(env, argv[3], what, "n", size, n) ||
      !get_f32(env, argv[4], what, "xp", 3 * size, xp) || !get_f32(env, argv[5], what, "hp", 3 * size, hp) ||
      !get_f32(env, argv[6], what, "h", size, h))
    return nullptr;
  ATTEND_PICK(gru_fwd, isa)(out, r, z, n, xp, hp, h, rows, H);
  return nullptr;
}

napi_value GruBackward(napi_env env, napi_callback_info info) {
  const char* what = "gruBackward";
  napi_value argv[12];
  int64_t rows, H;
  Isa isa;
  float *dx, *dhp, *dh, *dy, *r, *z, *n, *hp, *h;
  if (!get_args(env, info, argv, what) || !sizes(env, argv + 9, what, rows, H, isa)) return nullptr;
  const double size = double(rows) * double(H);
  if (!get_f32(env, argv[0], what, "dx", 3 * size, dx) || !get_f32(env, argv[1], what, "dhp", 3 * size, dhp) ||
      !get_f32(env, argv[2], what, "dh", size, dh) || !get_f32(env, argv[3], what, "dy", size, dy) ||
      !get_f32(env, argv[4], what, "r", size, r) || !get_f32(env, argv[5], what, "z", size, z) ||
      !get_f32(env, argv[6], what, "n", size, n) || !get_f32(env, argv[7], what, "hp", 3 * size, hp) ||
      !get_f32(env, argv[8], what, "h", size, h))
    return nullptr;
  ATTEND_PICK(gru_bwd, isa)(dx, dhp, dh, dy, r, z, n, hp, h, rows, H);
  return nullptr;
}

napi_value LstmForward(napi_env env, napi_callback_info info) {
  const char* what = "lstmForward";
  napi_value argv[10];
  int64_t rows, H;
  Isa isa;
  float *c2, *h2, *act, *tc, *xp, *hp, *c;
  if (!get_args(env, info, argv, what) || !sizes(env, argv + 7, what, rows, H, isa)) return nullptr;
  const double size = double(rows) * double(H);
  if (!get_f32(env, argv[0], what, "c2", size, c2) || !get_f32(env, argv[1], what, "h2", size, h2) ||
      !get_f32(env, argv[2], what, "act", 4 * size, act) || !get_f32(env, argv[3], what, "tc", size, tc) ||
      !get_f32(env, argv[4], what, "xp", 4 * size, xp) || !get_f32(env, argv[5], what, "hp", 4 * size, hp) ||
      !get_f32(env, argv[6], what, "c", size, c))
    return nullptr;
  ATTEND_PICK(lstm_fwd, isa)(c2, h2, act, tc, xp, hp, c, rows, H);
  return nullptr;
}

// (dgates, dc, dy, act, c or tc, rows, H, isa): the arguments the two LSTM backward kernels share
bool lstm_bwd_args(napi_env env, napi_callback_info info, const char* what, const char* state, float** p, int64_t& rows,
                   int64_t& H, Isa& isa) {
  napi_value argv[8];
  if (!get_args(env, info, argv, what) || !sizes(env, argv + 5, what, rows, H, isa)) return false;
  const double size = double(rows) * double(H);
  return get_f32(env, argv[0], what, "dgates", 4 * size, p[0]) && get_f32(env, argv[1], what, "dc", size, p[1]) &&
         get_f32(env, argv[2], what, "dy", size, p[2]) && get_f32(env, argv[3], what, "act", 4 * size, p[3]) &&
         get_f32(env, argv[4], what, state, size, p[4]);
}

napi_value LstmCellBackward(napi_env env, napi_callback_info info) {
  float* p[5];
  int64_t rows, H;
  Isa isa;
  if (lstm_bwd_args(env, info, "lstmCellBackward", "c", p, rows, H, isa))
    ATTEND_PICK(lstm_cell_bwd, isa)(p[0], p[1], p[2], p[3], p[4], rows, H);
  return nullptr;
}

napi_value LstmHiddenBackward(napi_env env, napi_callback_info info) {
  float* p[5];
  int64_t rows, H;
  Isa isa;
  if (lstm_bwd_args(env, info, "lstmHiddenBackward", "tc", p, rows, H, isa))
    ATTEND_PICK(lstm_hidden_bwd, isa)(p[0], p[1], p[2], p[3], p[4], rows, H);
  return nullptr;
}

}  // namespace

void register_rnn(napi_env env, napi_value exports) {
  export_function(env, exports, "gruForward", GruForward);
  export_function(env, exports, "gruBackward", GruBackward);
  export_function(env, exports, "lstmForward", LstmForward);
  export_function(env, exports, "lstmCellBackward", LstmCellBackward);
  export_function(env, exports, "lstmHiddenBackward", LstmHiddenBackward);
}

}  // namespace attend
