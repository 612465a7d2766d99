// The fused attention kernels, written once against GCC vector types of W floats. attention.cc
// includes this file once per instruction set, each time inside its own namespace that defines
// W (floats per register) and MRMAX (rows of the widest micro-tile) and under that set's
// `#pragma GCC target`, so the same loops become AVX-512, AVX2+FMA or baseline SIMD code. Hence no
// include guard, and no #include here (attention.cc includes <cmath> and <cstdint> first).
//
// Definitions are the reference's (src/kernels/reference/flash.ts): q [G, n, d], k [G, m, d],
// v [G, m, dv], out [G, n, dv], lse [G, n]; group g belongs to batch g / headsPerBatch; query i
// sees keys j ≤ i + causalOffset (−1: all); keyPadding [B, m], nonzero = hidden. A query that
// sees no key: zero output, lse = −∞, zero gradients.
//
// Work goes by blocks of QB queries × KB keys, queries as rows and keys along the vector lanes
// (so a row's causal limit and its max, lse and Δ are scalars broadcast over the lanes). All five
// products of the forward and backward are one register-blocked micro-tile, MR rows × 2W lanes,
// C[r][:] (+)= Σ_p A(r, p) · B[p][:], with A read through compile-time strides: packed by column
// (Qᵀ, dOᵀ) or by row (P, dS). Per group a thread keeps Kᵀ (and for the backward Vᵀ, K, dKᵀ,
// dVᵀ): O(m·(d + dv)) floats; per block O(QB·(KB + d + dv)). Never the n×m weights.

using vf = float __attribute__((vector_size(4 * W)));
using vi = int32_t __attribute__((vector_size(4 * W)));
using vfu = float __attribute__((vector_size(4 * W), aligned(4), __may_alias__));  // unaligned access

constexpr int NW = 2 * W;  // lanes of a micro-tile row (two registers)
// Block sizes (ATTEND_QB, ATTEND_KB may be set with -D when tuning). On one loaded Zen 4 core
// (B 8, h 8, T 1024, d 64) 96 × 128 ran the forward in 197 ms (CPU time), 96 × 64 and 96 × 256 within
// the ±5 ms noise of it, 48 × 64 about 5 ms slower; the backward was the same for all of them.
#ifndef ATTEND_QB
#define ATTEND_QB 96
#endif
#ifndef ATTEND_KB
#define ATTEND_KB 128
#endif
// Queries per block (a multiple of MRMAX: 12, 6, 4): the unit the forward is split in, and the rows
// whose (scale·Q)ᵀ is packed at a time.
constexpr int64_t QB = ATTEND_QB;
// Keys per block, a multiple of NW: the lanes of one row of scores. MRMAX rows of them (6 KiB) stay
// in L1 from S = Q Kᵀ through O += P V.
constexpr int64_t KB = ATTEND_KB;
constexpr float NEG_INF = -__builtin_inff();

inline vf load(const float* p) { return *reinterpret_cast<const vfu*>(p); }
inline void store(float* p, vf x) { *reinterpret_cast<vfu*>(p) = x; }
inline vf splat(float s) { return vf{} + s; }
inline vf vmax(vf a, vf b) { return a > b ? a : b; }
inline int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }
inline int64_t smaller(int64_t a, int64_t b) { return a < b ? a : b; }

inline vi iota() {
  vi x;
  for (int i = 0; i < W; i++) x[i] = i;
  return x;
}
// max and sum over the lanes: log2(W) rotations (a permute each) instead of W scalar steps
inline float hmax(vf x) {
#pragma GCC unroll 8
  for (int h = W / 2; h >= 1; h /= 2) x = vmax(x, __builtin_shuffle(x, (iota() + h) & (W - 1)));
  return x[0];
}
inline float hsum(vf x) {
#pragma GCC unroll 8
  for (int h = W / 2; h >= 1; h /= 2) x += __builtin_shuffle(x, (iota() + h) & (W - 1));
  return x[0];
}

// exp(x) for x ≤ 0 (scores minus their max or their lse) and −∞: Cephes expf, as exp_poly in
// rowwise_impl.h, with branch-free limits. x = n·ln 2 + r, n = round(x·log2 e), |r| ≤ ln2/2,
// exp(r) by a degree-6 polynomial, 2ⁿ put in the exponent bits. Adding 1.5·2²³ rounds x·log2 e to
// an integer held in the low mantissa bits (no float→int conversions). x is clamped to [−88, 88]:
// at −88 (and −∞, a hidden key) n = −127, whose exponent bits make 2ⁿ exactly 0; results below
// e^−87.7 (float32's normal range ends at e^−87.3) flush to 0.
inline vf vexp(vf x) {
  const vf xc = x < -88.0f ? splat(-88.0f) : (x > 88.0f ? splat(88.0f) : x);
  const float magic = 12582912.0f;  // 1.5·2²³
  const vf y = xc * 1.44269504088896341f + magic;
  const vf n = y - magic;
  vf r = xc - n * 0.693359375f;  // ln 2 in two parts (Cody & Waite): no rounding error in n·ln2
  r = r - n * -2.12194440e-4f;
  vf p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // y's low bits hold n (+ 2²² from the magic, shifted out): 2ⁿ = (n + 127) << 23, n ∈ [−127, 127]
  const vi bits = (__builtin_bit_cast(vi, y) << 23) + (127 << 23);
  return p * __builtin_bit_cast(vf, bits);
}

// C[MR][NW] (+)= A[MR][kc] · B[kc][NW], A(r, p) = a[r·RS + p·PS], B row p at b + p·ldb, C row r at
// c + r·ldc. The MR×NW tile lives in 2·MR registers across the kc steps; each step loads two B
// vectors and broadcasts MR values of A (GEMM's micro-kernel: microkernels.h).
template <int MR, int RS, int PS>
void tile(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, bool add) {
  vf acc[MR][2];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = vf{};
  for (int64_t p = 0; p < kc; p++) {
    const vf b0 = load(b), b1 = load(b + W);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const vf x = splat(a[r * RS]);
      acc[r][0] += x * b0;
      acc[r][1] += x * b1;
    }
    a += PS;
    b += ldb;
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) {
    float* o = c + r * ldc;
    store(o, add ? load(o) + acc[r][0] : acc[r][0]);
    store(o + W, add ? load(o + W) + acc[r][1] : acc[r][1]);
  }
}

// C[rows][lanes] (+)= A[rows][kc] · B[kc][lanes] (lanes a multiple of NW), in micro-tiles of
// MRMAX rows, then 4, then 1.
template <int RS, int PS>
void product(int64_t rows, int64_t lanes, int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
             int64_t ldc, bool add) {
  int64_t r = 0;
  for (; r + MRMAX <= rows; r += MRMAX)
    for (int64_t j = 0; j < lanes; j += NW) tile<MRMAX, RS, PS>(kc, a + r * RS, b + j, ldb, c + r * ldc + j, ldc, add);
  for (; r + 4 <= rows; r += 4)
    for (int64_t j = 0; j < lanes; j += NW) tile<4, RS, PS>(kc, a + r * RS, b + j, ldb, c + r * ldc + j, ldc, add);
  for (; r < rows; r++)
    for (int64_t j = 0; j < lanes; j += NW) tile<1, RS, PS>(kc, a + r * RS, b + j, ldb, c + r * ldc + j, ldc, add);
}

// Carves 64-byte-aligned buffers out of the thread's scratch.
inline float* take(float*& at, int64_t floats) {
  float* p = at;
  at += round_up(floats, 16);
  return p;
}

// X [m, cols] → Xᵀ in blocks of KB keys, [m/KB][cols][KB]: B operands for S = Q Kᵀ and dP = dO Vᵀ,
// rows KB floats apart (a stride of m floats, 4 KiB at m 1024, would map every row to one cache set).
inline void pack_transposed(float* to, const float* x, int64_t m, int64_t mpad, int64_t cols) {
  for (int64_t j = 0; j < mpad; j++) {
    float* col = to + (j / KB) * KB * cols + j % KB;
    for (int64_t p = 0; p < cols; p++) col[p * KB] = j < m ? x[j * cols + p] : 0.0f;
  }
}

// X [m, cols] → rows of `ld` floats (zero past cols and past m): B for O += P V and dQ += dS K.
inline void pack_rows(float* to, const float* x, int64_t m, int64_t mpad, int64_t cols, int64_t ld) {
  for (int64_t j = 0; j < mpad; j++)
    for (int64_t p = 0; p < ld; p++) to[j * ld + p] = j < m && p < cols ? x[j * cols + p] : 0.0f;
}

// 0 for a visible key, −∞ for a padding key and for the block padding past m.
inline void key_bias(float* bias, const FlashCall& f, int64_t g, int64_t mpad) {
  const uint8_t* pad = f.key_padding ? f.key_padding + (g / f.heads_per_batch) * f.m : nullptr;
  for (int64_t j = 0; j < mpad; j++) bias[j] = j >= f.m || (pad && pad[j]) ? NEG_INF : 0.0f;
}

// Rows [i0, i0 + rows) of x [n, cols] (group base applied) → xᵀ [cols][QB], times `scale`.
inline void pack_block(float* to, const float* x, int64_t rows, int64_t cols, float scale) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t p = 0; p < cols; p++) to[p * QB + r] = x[r * cols + p] * scale;
}

// One row of raw scores s (w lanes, from key j0): s + bias, −∞ at lanes ≥ lim (the causal limit).
// Returns the row's max. `plain`: no key of the block is hidden (no padding, all < m), nothing to add.
inline float mask_row(float* s, const float* bias, int64_t w, int64_t lim, bool plain) {
  vf mv = splat(NEG_INF);
  if (plain && lim >= w) {
    for (int64_t j = 0; j < w; j += W) mv = vmax(mv, load(s + j));
    return hmax(mv);
  }
  for (int64_t j = 0; j < w; j += W) {
    vf x = load(s + j) + load(bias + j);
    if (j + W > lim) x = iota() + int32_t(j) < int32_t(lim < 0 ? 0 : lim) ? x : splat(NEG_INF);
    store(s + j, x);
    mv = vmax(mv, x);
  }
  return hmax(mv);
}

size_t scratch_floats(const FlashCall& f, bool backward) {
  const int64_t mpad = round_up(f.m, KB), dp = round_up(f.d, NW), dvp = round_up(f.dv_size, NW);
  const int64_t fwd = mpad * f.d + mpad * dvp + mpad + f.d * QB + MRMAX * KB + QB * dvp;
  const int64_t bwd =
      2 * mpad * (f.d + f.dv_size) + mpad * dp + mpad + (f.d + f.dv_size) * QB + 2 * QB * KB + QB * dp;
  return size_t(backward ? bwd : fwd) + 16 * 12;  // + each buffer's rounding up to 16 floats
}

// Query blocks [t0, t1) of the G·⌈n/QB⌉ (block t: group t / ⌈n/QB⌉).
void forward(const FlashCall& f, int64_t t0, int64_t t1, float* scratch) {
  const int64_t n = f.n, m = f.m, d = f.d, dv = f.dv_size, nqb = (n + QB - 1) / QB;
  const int64_t mpad = round_up(m, KB), dvp = round_up(dv, NW);
  float* at = scratch;
  float* kT = take(at, mpad * d);     // [m/KB][d][KB]  Kᵀ by key block
  float* vR = take(at, mpad * dvp);   // [mpad][dvp]    V, rows padded
  float* bias = take(at, mpad);       // [mpad]
  float* qT = take(at, d * QB);       // [d][QB]        (scale·Q)ᵀ of the block
  float* s = take(at, MRMAX * KB);    // [MRMAX][KB]    scores, then probabilities
  float* o = take(at, QB * dvp);      // [QB][dvp]      unnormalised output
  float mx[QB];                       // running max per row
  vf l[QB];                           // running Σ exp(s − max) per row, in W partial sums
  int64_t group = -1;
  for (int64_t t = t0; t < t1; t++) {
    const int64_t g = t / nqb, i0 = (t % nqb) * QB, rows = smaller(QB, n - i0);
    if (g != group) {
      group = g;
      pack_transposed(kT, f.k + g * m * d, m, mpad, d);
      pack_rows(vR, f.v + g * m * dv, m, mpad, dv, dvp);
      key_bias(bias, f, g, mpad);
    }
    pack_block(qT, f.q + (g * n + i0) * d, rows, d, f.scale);  // scale·q: s = scale·(q·k) in one product
    for (int64_t x = 0; x < rows * dvp; x++) o[x] = 0;
    for (int64_t r = 0; r < rows; r++) mx[r] = NEG_INF, l[r] = vf{};
    // no row of the block sees a key at or past kend
    const int64_t kend = f.causal_offset >= 0 ? smaller(m, i0 + rows + f.causal_offset) : m;
    for (int64_t j0 = 0; j0 < kend; j0 += KB) {
      const int64_t w = round_up(smaller(KB, kend - j0), NW);
      const bool plain = !f.key_padding && j0 + w <= m;
      // MRMAX rows at a time, so that their scores stay in L1 from S = Q Kᵀ through O += P V
      for (int64_t r0 = 0; r0 < rows; r0 += MRMAX) {
        const int64_t rg = smaller(MRMAX, rows - r0);
        product<1, QB>(rg, w, d, qT + r0, kT + j0 * d, KB, s, KB, false);  // S = (scale·Q) Kᵀ   [rg, w]
        for (int64_t r = r0; r < r0 + rg; r++) {
          float* sr = s + (r - r0) * KB;
          const int64_t lim = f.causal_offset >= 0 ? i0 + r + f.causal_offset + 1 - j0 : w;
          const float tile_max = mask_row(sr, bias + j0, w, lim, plain);
          const float mnew = tile_max > mx[r] ? tile_max : mx[r];
          if (mnew == NEG_INF) {  // NOTE: nothing visible yet: exp(−∞ − (−∞)) would be NaN; these keys weigh 0
            for (int64_t j = 0; j < w; j++) sr[j] = 0;
            continue;
          }
          // online softmax (Milakov & Gimelshein 2018): p = exp(s − mnew); when the max grows from
          // mx to mnew, what was summed so far is rescaled by α = exp(mx − mnew) (0 when mx = −∞)
          if (mnew > mx[r]) {
            const vf alpha = splat(std::exp(mx[r] - mnew));
            for (int64_t c = 0; c < dvp; c += W) store(o + r * dvp + c, load(o + r * dvp + c) * alpha);
            l[r] *= alpha;
            mx[r] = mnew;
          }
          const vf mv = splat(mnew);
          vf sum = l[r];
          for (int64_t j = 0; j < w; j += W) {
            const vf p = vexp(load(sr + j) - mv);
            store(sr + j, p);
            sum += p;
          }
          l[r] = sum;
        }
        product<KB, 1>(rg, dvp, w, s, vR + j0 * dvp, dvp, o + r0 * dvp, dvp, true);  // O += P V   [rg, dv]
      }
    }
    for (int64_t r = 0; r < rows; r++) {
      const int64_t i = g * n + i0 + r;
      const float sum = hsum(l[r]);
      const float inv = sum > 0 ? 1.0f / sum : 0.0f;  // no visible key: zero output
      for (int64_t c = 0; c < dv; c++) f.out[i * dv + c] = o[r * dvp + c] * inv;
      f.lse[i] = sum > 0 ? mx[r] + std::log(sum) : NEG_INF;
    }
  }
}

// Gradients of forward() for groups [g0, g1) (their dq, dk, dv overwritten), FlashAttention-2's
// backward: the probabilities are recomputed from the saved lse instead of stored.
//   forward:  s_ij = scale·q_i·k_j (+ mask);  p_ij = exp(s_ij − lse_i);  O_i = Σ_j p_ij v_j
//   Δ_i = Σ_c dO_ic O_ic
//   O_i = Σ_j p_ij v_j                 ⇒  dV_j += p_ij dO_i ;  dp_ij = dO_i · v_j
//   p_ij = softmax_j(s_ij)             ⇒  ds_ij = p_ij (dp_ij − Δ_i)
//   s_ij = scale·q_i·k_j               ⇒  dQ_i += scale·ds_ij k_j ;  dK_j += scale·ds_ij q_i
// Split over groups only: dK and dV of a group sum over all of its queries.
void backward(const FlashCall& f, int64_t g0, int64_t g1, float* scratch) {
  const int64_t n = f.n, m = f.m, d = f.d, dv = f.dv_size;
  const int64_t mpad = round_up(m, KB), dp = round_up(d, NW);
  float* at = scratch;
  float* kT = take(at, mpad * d);    // [m/KB][d][KB]   Kᵀ by key block
  float* vT = take(at, mpad * dv);   // [m/KB][dv][KB]  Vᵀ by key block
  float* kR = take(at, mpad * dp);   // [mpad][dp]      K, rows padded
  float* dkT = take(at, mpad * d);   // [m/KB][d][KB]   dKᵀ accumulator
  float* dvT = take(at, mpad * dv);  // [m/KB][dv][KB]  dVᵀ accumulator
  float* bias = take(at, mpad);      // [mpad]
  float* qT = take(at, d * QB);      // [d][QB]   (scale·Q)ᵀ of the block
  float* doT = take(at, dv * QB);    // [dv][QB]  dOᵀ of the block
  float* s = take(at, QB * KB);      // [QB][KB]  scores, then P
  float* ds = take(at, QB * KB);     // [QB][KB]  dP, then dS
  float* dq = take(at, QB * dp);     // [QB][dp]  dQ / scale of the block
  float lse[QB], delta[QB];
  for (int64_t g = g0; g < g1; g++) {
    pack_transposed(kT, f.k + g * m * d, m, mpad, d);
    pack_transposed(vT, f.v + g * m * dv, m, mpad, dv);
    pack_rows(kR, f.k + g * m * d, m, mpad, d, dp);
    key_bias(bias, f, g, mpad);
    for (int64_t x = 0; x < mpad * d; x++) dkT[x] = 0;
    for (int64_t x = 0; x < mpad * dv; x++) dvT[x] = 0;
    for (int64_t i0 = 0; i0 < n; i0 += QB) {
      const int64_t rows = smaller(QB, n - i0), row = g * n + i0;
      pack_block(qT, f.q + row * d, rows, d, f.scale);
      pack_block(doT, f.dout + row * dv, rows, dv, 1.0f);
      for (int64_t x = 0; x < rows * dp; x++) dq[x] = 0;
      bool any = false;  // lse −∞ marks a row that sees no key: it adds nothing anywhere
      for (int64_t r = 0; r < rows; r++) {
        lse[r] = f.lse[row + r];
        float sum = 0;
        for (int64_t c = 0; c < dv; c++) sum += f.dout[(row + r) * dv + c] * f.out[(row + r) * dv + c];
        delta[r] = sum;
        any = any || lse[r] != NEG_INF;
      }
      const int64_t kend = !any ? 0 : f.causal_offset >= 0 ? smaller(m, i0 + rows + f.causal_offset) : m;
      for (int64_t j0 = 0; j0 < kend; j0 += KB) {
        const int64_t w = round_up(smaller(KB, kend - j0), NW);
        const bool plain = !f.key_padding && j0 + w <= m;
        product<1, QB>(rows, w, d, qT, kT + j0 * d, KB, s, KB, false);     // S = (scale·Q) Kᵀ  [rows, w]
        product<1, QB>(rows, w, dv, doT, vT + j0 * dv, KB, ds, KB, false);  // dP = dO Vᵀ       [rows, w]
        for (int64_t r = 0; r < rows; r++) {
          float* sr = s + r * KB;
          float* dr = ds + r * KB;
          if (lse[r] == NEG_INF) {  // NOTE: no visible key: p = 0 and ds = 0, never exp(−∞ + ∞) = NaN
            for (int64_t j = 0; j < w; j++) sr[j] = dr[j] = 0;
            continue;
          }
          mask_row(sr, bias + j0, w, f.causal_offset >= 0 ? i0 + r + f.causal_offset + 1 - j0 : w, plain);
          const vf lv = splat(lse[r]), dl = splat(delta[r]);
          for (int64_t j = 0; j < w; j += W) {
            const vf p = vexp(load(sr + j) - lv);  // hidden keys: exp(−∞) = 0
            store(sr + j, p);
            store(dr + j, p * (load(dr + j) - dl));  // ds = p (dp − Δ)
          }
        }
        product<QB, 1>(dv, w, rows, doT, s, KB, dvT + j0 * dv, KB, true);  // dVᵀ += dOᵀ P           [dv, w]
        product<QB, 1>(d, w, rows, qT, ds, KB, dkT + j0 * d, KB, true);    // dKᵀ += (scale·Q)ᵀ dS  [d, w]
        product<KB, 1>(rows, dp, w, ds, kR + j0 * dp, dp, dq, dp, true);   // dQ += dS K            [rows, d]
      }
      for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < d; c++) f.dq[(row + r) * d + c] = dq[r * dp + c] * f.scale;
    }
    for (int64_t j = 0; j < m; j++) {
      const int64_t blk = (j / KB) * KB, jj = j % KB;
      for (int64_t c = 0; c < d; c++) f.dk[(g * m + j) * d + c] = dkT[blk * d + c * KB + jj];
      for (int64_t c = 0; c < dv; c++) f.dv[(g * m + j) * dv + c] = dvT[blk * dv + c * KB + jj];
    }
  }
}
