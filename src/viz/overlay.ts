/**
 * Attention over an image, in the style of the figures of "Show, Attend and Tell" (Xu et al.,
 * 2015): a coarse grid of weights (e.g. 7×7 or 14×14 CNN cells) is upsampled to the image size
 * and its colours blended over the picture. The paper smoothed with a Gaussian pyramid
 * (skimage pyramid_expand); bilinear upsampling is simpler and shows the same regions.
 */
import { colorAt, type ColormapName } from './colormap.js';
import { prepareMap, type Normalize } from './map.js';
import type { RgbaImage } from './raster.js';

/** An image as plain pixels: 1 (grey), 3 (RGB) or 4 (RGBA) bytes a pixel, row-major. A canvas ImageData fits. */
export interface PixelImage {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

export interface OverlayOptions {
  /** Opacity of the colour layer, 0 (image only) to 1 (weights only); default 0.6. */
  alpha?: number;
  /** Colour map (default 'viridis'). */
  colormap?: ColormapName;
  /**
   * 'max' (the default) divides by the largest weight, since a softmax over 196 cells puts about
   * 0.005 on each and would otherwise be a flat dark colour; 'none' takes weights as they are.
   */
  normalize?: Exclude<Normalize, 'row'>;
}

/**
 * Upsample an h×w grid to width × height by bilinear interpolation with the half-pixel
 * convention of PyTorch's `interpolate(mode='bilinear', align_corners=False)`: each grid cell's
 * centre lands on the centre of the block of pixels it covers, and the edges are held constant.
 */
export function upsampleBilinear(grid: readonly (readonly number[])[], width: number, height: number): Float64Array {
  const gh = grid.length;
  const gw = grid[0].length;
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    const v = Math.min(gh - 1, Math.max(0, ((y + 0.5) * gh) / height - 0.5));
    const y0 = Math.floor(v);
    const y1 = Math.min(gh - 1, y0 + 1);
    const fy = v - y0;
    for (let x = 0; x < width; x++) {
      const u = Math.min(gw - 1, Math.max(0, ((x + 0.5) * gw) / width - 0.5));
      const x0 = Math.floor(u);
      const x1 = Math.min(gw - 1, x0 + 1);
      const fx = u - x0;
      const top = grid[y0][x0] * (1 - fx) + grid[y0][x1] * fx;
      const bottom = grid[y1][x0] * (1 - fx) + grid[y1][x1] * fx;
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Blend colour-mapped attention over an image; returns opaque RGBA (an RGBA input keeps its alpha). */
export function overlayAttention(
  image: PixelImage,
  grid: readonly (readonly number[])[],
  options: OverlayOptions = {},
): RgbaImage {
  const where = 'overlayAttention';
  const { width, height, data } = image;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new Error(`${where}: image width and height must be positive integers, received ${width}×${height}`);
  }
  const channels = data.length / (width * height);
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new Error(
      `${where}: image.data must hold width × height × (1, 3 or 4) = ${width * height}, ${width * height * 3} or ${width * height * 4} values for ${width}×${height}, received ${data.length}`,
    );
  }
  const alpha = options.alpha ?? 0.6;
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`${where}: alpha must be in [0, 1], received ${alpha}`);
  const normalize = options.normalize ?? 'max';
  if (normalize !== 'max' && normalize !== 'none') {
    throw new Error(`${where}: normalize must be 'max' or 'none', received ${JSON.stringify(normalize)}`);
  }
  // interpolate the weights themselves and clamp only when colouring, as imshow does
  const { vmax } = prepareMap({ weights: grid }, normalize, `${where}: grid`);
  const scaled = grid.map((row) => row.map((w) => (vmax > 0 ? w / vmax : 0)));
  const cmap = options.colormap ?? 'viridis';
  const up = upsampleBilinear(scaled, width, height);
  const out = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const c = colorAt(up[p], cmap);
    for (let k = 0; k < 3; k++) {
      const pixel = channels === 1 ? data[p] : data[p * channels + k];
      out[p * 4 + k] = Math.round((1 - alpha) * pixel + alpha * c[k]);
    }
    out[p * 4 + 3] = channels === 4 ? data[p * 4 + 3] : 255;
  }
  return { data: out, width, height };
}
