// Native strided copy and scatter (native/strided.cc) against the reference (src/kernels/reference/strided.ts):
// bit for bit, on permutations, slices with offsets and broadcasts (stride 0), with and without
// accumulation; a view reaching past its arrays is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceKernels as ref } from '../../src/kernels/reference/index.js';
import { createNativeKernels, nativeUnavailableReason } from '../../src/node/native.js';
import { guarded, randomF32, rng } from './kernel-checks.js';

const contiguous = (shape: number[]) => shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));

/** [label, source length, offset, shape, strides]: each view reaches at most the source's last element. */
function cases(random: () => number): [string, number, number, number[], number[]][] {
  const out: [string, number, number, number[], number[]][] = [];
  for (let c = 0; c < 12; c++) {
    const rank = 1 + Math.floor(random() * 4);
    const dims = Array.from({ length: rank }, () => 1 + Math.floor(random() * 9));
    const base = contiguous(dims);
    const perm = dims.map((_, i) => i).sort(() => random() - 0.5);
    out.push([`permute ${dims} → ${perm}`, dims.reduce((a, b) => a * b, 1), 0, perm.map((p) => dims[p]), perm.map((p) => base[p])]); // prettier-ignore
    const start = dims.map((d) => Math.floor(random() * d));
    const sliced = dims.map((d, i) => d - start[i]);
    const offset = start.reduce((a, s, i) => a + s * base[i], 0);
    out.push([`slice ${dims} from ${start}`, dims.reduce((a, b) => a * b, 1), offset, sliced, base]);
    const bcast = base.map((s, i) => (random() < 0.4 ? 0 : s) * (dims[i] > 0 ? 1 : 0));
    out.push([`broadcast ${dims} strides ${bcast}`, dims.reduce((a, b) => a * b, 1), 0, dims, bcast]);
  }
  out.push(['long rows', 3 * 5000, 0, [3, 5000], [5000, 1]], ['rank 0', 4, 2, [], []]);
  return out;
}

test('native stridedCopy and stridedScatter give the reference bits', () => {
  const k = createNativeKernels({ threads: 1, minElements: 0 }); // every size to the addon
  assert.ok(k, nativeUnavailableReason());
  const random = rng(9);
  for (const [label, length, offset, shape, strides] of cases(random)) {
    const total = shape.reduce((a, b) => a * b, 1);
    const x = randomF32(random, length);
    const want = new Float32Array(total);
    ref.stridedCopy(want, x, offset, shape, strides);
    const got = guarded(total);
    k.stridedCopy!(got.out.subarray(0, total), x, offset, shape, strides);
    assert.deepEqual(got.out.subarray(0, total), want, `copy ${label}`);
    assert.ok(got.intact(), `copy ${label}: wrote outside`);
    for (const accumulate of [true, false]) {
      const src = randomF32(random, total);
      const prefill = randomF32(random, length);
      const wantDst = prefill.slice();
      ref.stridedScatter(wantDst, offset, shape, strides, src, accumulate);
      const dst = guarded(length, prefill);
      k.stridedScatter!(dst.out.subarray(0, length), offset, shape, strides, src, accumulate);
      assert.deepEqual(dst.out.subarray(0, length), wantDst, `scatter ${label} accumulate ${accumulate}`);
      assert.ok(dst.intact(), `scatter ${label}: wrote outside`);
    }
  }
});

test('native strided kernels refuse a view that reaches past its arrays', () => {
  const k = createNativeKernels({ threads: 1, minElements: 0 });
  assert.ok(k, nativeUnavailableReason());
  const big = new Float32Array(4096);
  // 4096 elements read with stride 2 reach index 8190 of a 4096-element source
  assert.throws(() => k.stridedCopy!(big, new Float32Array(4096), 0, [4096], [2]), /stridedCopy: the view reaches past out or x/); // prettier-ignore
  assert.throws(() => k.stridedScatter!(new Float32Array(10), 0, [4096], [1], big, true), /stridedScatter: the view reaches past dst or src/); // prettier-ignore
});
