import type { FloatArray } from '../types.js';

/** Geometry of a 2-D convolution or pooling window over one image. */
export interface Conv2dGeometry {
  C: number;
  H: number;
  W: number;
  kh: number;
  kw: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  Ho: number;
  Wo: number;
}

/**
 * im2col: cols[(c·kh + i)·kw + j, oy·Wo + ox] = x[c, oy·sh − ph + i·dh, ox·sw − pw + j·dw] (0 outside),
 * so a convolution becomes one GEMM: out[O, Ho·Wo] = W[O, C·kh·kw] · cols.
 */
export function im2col(cols: FloatArray, x: FloatArray, xOffset: number, g: Conv2dGeometry): void {
  const { C, H, W, kh, kw, Ho, Wo } = g;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.padding;
  const [dh, dw] = g.dilation;
  const L = Ho * Wo;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((c * kh + i) * kw + j) * L;
        for (let oy = 0; oy < Ho; oy++) {
          const y = oy * sh - ph + i * dh;
          for (let ox = 0; ox < Wo; ox++) {
            const xx = ox * sw - pw + j * dw;
            cols[row + oy * Wo + ox] = y >= 0 && y < H && xx >= 0 && xx < W ? x[xOffset + (c * H + y) * W + xx] : 0;
          }
        }
      }
    }
  }
}

/** col2im: the adjoint of im2col: dx[c, y, x] += dcols[...] over every window position that read it. */
export function col2im(dx: FloatArray, dxOffset: number, dcols: FloatArray, g: Conv2dGeometry): void {
  const { C, H, W, kh, kw, Ho, Wo } = g;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.padding;
  const [dh, dw] = g.dilation;
  const L = Ho * Wo;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((c * kh + i) * kw + j) * L;
        for (let oy = 0; oy < Ho; oy++) {
          const y = oy * sh - ph + i * dh;
          if (y < 0 || y >= H) continue;
          for (let ox = 0; ox < Wo; ox++) {
            const xx = ox * sw - pw + j * dw;
            if (xx >= 0 && xx < W) dx[dxOffset + (c * H + y) * W + xx] += dcols[row + oy * Wo + ox];
          }
        }
      }
    }
  }
}

/** Max over each window (padding counts as −∞); argmax holds the flat index y·W + x of the winner in its plane. */
export function maxPool2dForward(
  out: FloatArray,
  argmax: Int32Array,
  x: FloatArray,
  planes: number,
  g: Conv2dGeometry,
): void {
  const { H, W, kh, kw, Ho, Wo } = g;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.padding;
  const [dh, dw] = g.dilation;
  for (let p = 0; p < planes; p++) {
    const xo = p * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        let best = -Infinity;
        let bi = -1;
        for (let i = 0; i < kh; i++) {
          const y = oy * sh - ph + i * dh;
          if (y < 0 || y >= H) continue;
          for (let j = 0; j < kw; j++) {
            const xx = ox * sw - pw + j * dw;
            if (xx < 0 || xx >= W) continue;
            const v = x[xo + y * W + xx];
            if (v > best || bi < 0 || v !== v) {
              best = v;
              bi = y * W + xx;
            }
          }
        }
        const o = (p * Ho + oy) * Wo + ox;
        out[o] = best;
        argmax[o] = bi;
      }
    }
  }
}
