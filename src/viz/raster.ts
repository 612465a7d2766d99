/**
 * Heatmaps as RGBA pixels (for PNG files or a canvas's ImageData): each weight a square of
 * cellSize × cellSize pixels in its colour-map colour. No text: labelled figures are the SVG's job.
 */
import { colorAt, type ColormapName } from './colormap.js';
import { checkMarks, prepareMap, type AttentionMap, type Cell, type Normalize } from './map.js';

/** Pixels in row-major RGBA order, 4 bytes a pixel (the layout of a canvas ImageData). */
export interface RgbaImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

export interface RasterOptions {
  /** Side of a cell in pixels (default 16). */
  cellSize?: number;
  /** Colour map (default 'viridis'). */
  colormap?: ColormapName;
  /** Scaling of weights before colouring (default 'none'); see {@link Normalize}. */
  normalize?: Normalize;
  /** Cells framed in red (a border of max(1, cellSize / 8) pixels), e.g. the positions hard attention chose. */
  highlight?: readonly Cell[];
}

const HIGHLIGHT = [255, 45, 85]; // #ff2d55, the SVG's highlight: far from every viridis and magma colour

/** Draw an attention map as an image of (cols · cellSize) × (rows · cellSize) opaque pixels. */
export function renderRaster(map: AttentionMap, options: RasterOptions = {}): RgbaImage {
  const where = 'renderRaster';
  const cs = options.cellSize ?? 16;
  if (!Number.isInteger(cs) || cs < 1) throw new Error(`${where}: cellSize must be an integer ≥ 1, received ${cs}`);
  const m = prepareMap(map, options.normalize ?? 'none', where);
  checkMarks(options.highlight, undefined, m.rows, m.cols, where);
  const cmap = options.colormap ?? 'viridis';
  const width = m.cols * cs;
  const height = m.rows * cs;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const [r, g, b] = colorAt(m.scaled[i][j], cmap);
      for (let y = i * cs; y < (i + 1) * cs; y++) {
        for (let x = j * cs; x < (j + 1) * cs; x++) {
          const p = (y * width + x) * 4;
          data[p] = r;
          data[p + 1] = g;
          data[p + 2] = b;
          data[p + 3] = 255;
        }
      }
    }
  }
  const border = Math.max(1, Math.floor(cs / 8));
  for (const [i, j] of options.highlight ?? []) {
    for (let y = i * cs; y < (i + 1) * cs; y++) {
      for (let x = j * cs; x < (j + 1) * cs; x++) {
        const inner =
          x - j * cs >= border && x < (j + 1) * cs - border && y - i * cs >= border && y < (i + 1) * cs - border;
        if (!inner) data.set(HIGHLIGHT, (y * width + x) * 4);
      }
    }
  }
  return { data, width, height };
}
