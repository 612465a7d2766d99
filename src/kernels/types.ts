/**
 * The contract between the library and its compute backends.
 *
 * A kernel sees typed arrays and sizes, nothing else: no tensors, no shapes, no autograd.
 * Every array is dense and row-major. Outputs come first, then inputs, then weights, then
 * sizes (llm.c's order). A backend may implement any subset faster; what it leaves out is
 * taken from the reference backend (`reference/index.ts`), which is also the test oracle.
 */
export type FloatArray = Float32Array | Float64Array;
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** The four arithmetic ops `binary` has codes for; other binary ops pass a function. */
export type Arith = 'add' | 'sub' | 'mul' | 'div';
export type BinaryFn = (a: number, b: number) => number;

/** Sizes and options of the fused attention kernels (see reference/flash.ts). */
export interface FlashShape {
  G: number;
  n: number;
  m: number;
  d: number;
  dv: number;
  headsPerBatch: number;
  scale: number;
  causalOffset: number;
}

/**
 * One Adam step's scalars (see reference/optim.ts): β1, β2, lr / (1 − β1^t), √(1 − β2^t), eps,
 * the decoupled decay factor (1 − lr·wd for AdamW, else 1) and the L2 coefficient (Adam's wd, else 0).
 */
export interface AdamScalars {
  beta1: number;
  beta2: number;
  stepSize: number;
  sqrtBias2: number;
  eps: number;
  decay: number;
  l2: number;
}

export interface Kernels {
  readonly name: string;

  /**
   * Batched matrix product: for b in [0, batch): out[b] = op(a[b]) · op(bm[b]) (+ out[b] if accumulate).
   * out[b] is m×n. op(a[b]) is m×k: a[b] stored m×k, or k×m when transA (then op = transpose).
   * op(bm[b]) is k×n: stored k×n, or n×k when transB.
   * a[b] starts at b·strideA, bm[b] at b·strideB (a stride of 0 broadcasts one matrix over the batch);
   * out[b] starts at b·m·n.
   */
  gemm(
    out: FloatArray,
    a: FloatArray,
    bm: FloatArray,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    strideA: number,
    strideB: number,
    accumulate: boolean,
  ): void;

  /** Row-wise softmax over the last axis: x is rows×cols. Stable (subtracts the row max). */
  softmaxForward(out: FloatArray, x: FloatArray, rows: number, cols: number): void;
  /** dx = y ⊙ (dy − Σ_j dy_j y_j), row by row; y is the forward output. */
  softmaxBackward(dx: FloatArray, dy: FloatArray, y: FloatArray, rows: number, cols: number): void;

  /** Row-wise log-softmax: out = x − max − log Σ exp(x − max). */
  logSoftmaxForward(out: FloatArray, x: FloatArray, rows: number, cols: number): void;
  /** dx = dy − exp(y) · Σ_j dy_j, row by row; y is the forward output (log-probabilities). */
  logSoftmaxBackward(dx: FloatArray, dy: FloatArray, y: FloatArray, rows: number, cols: number): void;

  /**
   * Layer norm over the last axis (Ba et al. 2016): out = (x − μ) · rstd · weight + bias,
   * rstd = 1/√(var + eps), var the biased variance. Saves μ and rstd (one per row) for the backward.
   * weight and bias may be null (no affine part).
   */
  layerNormForward(
    out: FloatArray,
    mean: FloatArray,
    rstd: FloatArray,
    x: FloatArray,
    weight: FloatArray | null,
    bias: FloatArray | null,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  /** Gradients of layerNormForward. dweight and dbias are accumulated into (+=), dx is overwritten. */
  layerNormBackward(
    dx: FloatArray,
    dweight: FloatArray | null,
    dbias: FloatArray | null,
    dy: FloatArray,
    x: FloatArray,
    mean: FloatArray,
    rstd: FloatArray,
    weight: FloatArray | null,
    rows: number,
    cols: number,
  ): void;

  /** Fused scaled-dot-product attention without the n×m weights; lse [G, n] saved for the backward. */
  attentionForward(
    out: FloatArray,
    lse: FloatArray,
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    keyPadding: Uint8Array | null,
    shape: FlashShape,
  ): void;
  /** Gradients of attentionForward (dq, dk, dv overwritten). */
  attentionBackward(
    dq: FloatArray,
    dk: FloatArray,
    dv: FloatArray,
    dout: FloatArray,
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    out: FloatArray,
    lse: FloatArray,
    keyPadding: Uint8Array | null,
    shape: FlashShape,
  ): void;

  /** Adam's update of n = p.length parameters in place, with their moments m and v (reference/optim.ts). */
  adamStep(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, s: AdamScalars): void;

  /** Σ x[i]², summed in float64 (for the global gradient norm). */
  sumOfSquares(x: FloatArray): number;

  /**
   * A dropout mask: keep[i] = 1 with probability 1 − p, from word i of Threefry-2x32 blocks keyed
   * by two draws of the xoshiro128** stream in `state` (4 words, advanced in place by 2)
   * (reference/random.ts).
   */
  keepMask(keep: Uint8Array, state: Uint32Array, p: number): void;

  /**
   * out[idx] = f(a[idx · aStrides], b[idx · bStrides]) over every index of `shape` (out
   * contiguous; a stride of 0 broadcasts), f an arithmetic code or a function (reference/elementwise.ts).
   */
  binary(
    out: TypedArray,
    a: TypedArray,
    aStrides: readonly number[],
    b: TypedArray,
    bStrides: readonly number[],
    shape: readonly number[],
    f: Arith | BinaryFn,
  ): void;

  /** Dropout's product out = x · keep · scale, forward and backward (reference/elementwise.ts). */
  maskScale(out: TypedArray, x: TypedArray, keep: Uint8Array, scale: number): void;

  /** dropout(relu(x)) in one pass: out = max(x, 0) · keep · scale (reference/elementwise.ts). */
  reluScale(out: TypedArray, x: TypedArray, keep: Uint8Array, scale: number): void;

  /** Its gradient: dx = dy · keep · scale where x > 0, else 0. */
  reluScaleBackward(dx: TypedArray, dy: TypedArray, x: TypedArray, keep: Uint8Array, scale: number): void;

  /** Additive attention scores and the tanh values behind them (reference/additive.ts). */
  additiveForward(
    e: FloatArray,
    t: FloatArray,
    qp: FloatArray,
    kp: FloatArray,
    v: FloatArray,
    G: number,
    n: number,
    m: number,
    da: number,
  ): void;

  /** Their gradient, added into dq, dk and the float64 dv (reference/additive.ts). */
  additiveBackward(
    dq: FloatArray,
    dk: FloatArray,
    dv: Float64Array,
    ge: FloatArray,
    t: FloatArray,
    v: FloatArray,
    G: number,
    n: number,
    m: number,
    da: number,
  ): void;

  /** A GRU step's gates and new state from xp = W_i x + b_i, hp = W_h h + b_h (reference/rnn.ts). */
  gruForward(
    out: FloatArray,
    r: FloatArray,
    z: FloatArray,
    n: FloatArray,
    xp: FloatArray,
    hp: FloatArray,
    h: FloatArray,
    rows: number,
    H: number,
  ): void;

  /** Its gradient to xp, hp and h, each written whole (reference/rnn.ts). */
  gruBackward(
    dx: FloatArray,
    dhp: FloatArray,
    dh: FloatArray,
    dy: FloatArray,
    r: FloatArray,
    z: FloatArray,
    n: FloatArray,
    hp: FloatArray,
    h: FloatArray,
    rows: number,
    H: number,
  ): void;

  /** An LSTM step's activated gates, c', tanh(c') and h' (reference/rnn.ts). */
  lstmForward(
    c2: FloatArray,
    h2: FloatArray,
    act: FloatArray,
    tc: FloatArray,
    xp: FloatArray,
    hp: FloatArray,
    c: FloatArray,
    rows: number,
    H: number,
  ): void;

  /** Its gradient through c' = f ⊙ c + i ⊙ g to the gates (o's 0) and c, each written whole (reference/rnn.ts). */
  lstmCellBackward(
    dgates: FloatArray,
    dc: FloatArray,
    dy: FloatArray,
    act: FloatArray,
    c: FloatArray,
    rows: number,
    H: number,
  ): void;

  /** Its gradient through h' = o ⊙ tanh(c') to the gates (i, f, g 0) and c', each written whole (reference/rnn.ts). */
  lstmHiddenBackward(
    dgates: FloatArray,
    dc2: FloatArray,
    dy: FloatArray,
    act: FloatArray,
    tc: FloatArray,
    rows: number,
    H: number,
  ): void;

  /** out[i] = x[offset + Σ_d idx_d · strides[d]] over the indices of `shape` (reference/strided.ts). */
  stridedCopy(
    out: TypedArray,
    x: TypedArray,
    offset: number,
    shape: readonly number[],
    strides: readonly number[],
  ): void;

  /** dst[offset + Σ_d idx_d · strides[d]] (+)= src[i], the adjoint of stridedCopy (reference/strided.ts). */
  stridedScatter(
    dst: TypedArray,
    offset: number,
    shape: readonly number[],
    strides: readonly number[],
    src: TypedArray,
    accumulate?: boolean,
  ): void;
}
