/**
 * The cases of `npm run bench`, the one list every engine (attend, PyTorch, tfjs) is measured on.
 * A case names the work; each engine has its own code for it (attend: attend-cases.ts,
 * PyTorch: peers/torch_bench.py, tfjs: peers/tfjs.ts, ONNX Runtime: peers/onnx.ts). Peers have no fused attention, so the
 * attention rows of attend's fused and composed paths share one peer measurement (`peerKey`).
 */

export type Group = 'gemm' | 'attention' | 'block';

export interface AttentionShape {
  B: number;
  H: number;
  T: number;
  d: number;
}

export interface BlockShape {
  B: number;
  T: number;
  dModel: number;
  nhead: number;
  ff: number;
}

export interface CaseSpec {
  id: string;
  group: Group;
  label: string;
  /** The key of the peers' measurement of the same work. */
  peerKey: string;
  /** Floating-point operations of one run (for GFLOP/s and to extrapolate a slow run's time). */
  flops: number;
  /** Shown as GFLOP/s (gemm) or as ms per run (attention, block). */
  unit: 'GFLOP/s' | 'ms';
  /** Cases of one series differ only in size: a slow run is predicted from the previous one. */
  series: string;
  gemm?: { n: number };
  attention?: AttentionShape & { path: 'sdpa' | 'composed'; backward: boolean };
  block?: BlockShape;
}

/** What the peers are asked to measure (sent as JSON to peers/torch_bench.py and peers/tfjs.ts). */
export interface PeerRequest {
  gemm: number[];
  attention: (AttentionShape & { backward: boolean; key: string })[];
  block: (BlockShape & { key: string }) | null;
  budget: { seconds: number; minRuns: number; maxRuns: number; maxSingleSec: number };
}

export const GEMM_SIZES = [64, 128, 256, 512, 1024];
export const ATTENTION_T = [64, 256, 1024];
export const BLOCK: BlockShape = { B: 32, T: 64, dModel: 256, nhead: 8, ff: 1024 };

/**
 * Matmul FLOPs of attention per head: forward QKᵀ and PV, 2·T²·d each; the backward dV, dP, dQ,
 * dK, 2·T²·d each. The fused kernel's recomputation of QKᵀ in the backward is not counted, so
 * GFLOP/s compare engines on the same work.
 */
export function attentionFlops(s: AttentionShape, backward: boolean): number {
  return s.B * s.H * s.T * s.T * s.d * (backward ? 12 : 4);
}

/**
 * Matmul FLOPs of one training step of the pre-LN block (forward + backward ≈ 3 × forward):
 * the four d×d projections and the two feed-forward layers over B·T tokens, plus attention.
 */
export function blockFlops(b: BlockShape): number {
  const tokens = b.B * b.T;
  const linear = 2 * tokens * (4 * b.dModel * b.dModel + 2 * b.dModel * b.ff);
  const attention = 4 * b.B * b.T * b.T * b.dModel;
  return 3 * (linear + attention);
}

export function buildCases(groups: ReadonlySet<Group>, quick: boolean): CaseSpec[] {
  const cases: CaseSpec[] = [];
  if (groups.has('gemm')) {
    for (const n of quick ? GEMM_SIZES.filter((n) => n <= 512) : GEMM_SIZES) {
      cases.push({
        id: `gemm:${n}`,
        group: 'gemm',
        label: `sgemm ${n}×${n}×${n}`,
        peerKey: `gemm:${n}`,
        flops: 2 * n ** 3,
        unit: 'GFLOP/s',
        series: 'gemm',
        gemm: { n },
      });
    }
  }
  if (groups.has('attention')) {
    for (const T of quick ? ATTENTION_T.filter((t) => t <= 256) : ATTENTION_T) {
      const shape: AttentionShape = { B: 8, H: 8, T, d: 64 };
      for (const backward of [false, true]) {
        for (const path of ['sdpa', 'composed'] as const) {
          const pass = backward ? 'fwd+bwd' : 'fwd';
          cases.push({
            id: `attn:${path}:${pass}:T${T}`,
            group: 'attention',
            label: `attention ${path === 'sdpa' ? 'fused' : 'composed'} ${pass} T ${T}`,
            peerKey: `attn:${pass}:T${T}`,
            flops: attentionFlops(shape, backward),
            unit: 'ms',
            series: `attn:${path}:${pass}`,
            attention: { ...shape, path, backward },
          });
        }
      }
    }
  }
  if (groups.has('block')) {
    cases.push({
      id: 'block:step',
      group: 'block',
      label: `pre-LN block train step`,
      peerKey: 'block:step',
      flops: blockFlops(BLOCK),
      unit: 'ms',
      series: 'block',
      block: BLOCK,
    });
  }
  return cases;
}

export function peerRequest(cases: readonly CaseSpec[], budget: PeerRequest['budget']): PeerRequest {
  const req: PeerRequest = { gemm: [], attention: [], block: null, budget };
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.peerKey)) continue;
    seen.add(c.peerKey);
    if (c.gemm) req.gemm.push(c.gemm.n);
    if (c.attention) {
      const { B, H, T, d, backward } = c.attention;
      req.attention.push({ B, H, T, d, backward, key: c.peerKey });
    }
    if (c.block) req.block = { ...c.block, key: c.peerKey };
  }
  return req;
}
