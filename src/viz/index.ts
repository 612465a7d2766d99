/** Drawing attention maps from plain data: terminal text, SVG, RGBA pixels and image overlays. */
export { colorAt, toHex, luminance, COLORMAPS } from './colormap.js';
export type { RGB, ColormapName } from './colormap.js';
export { validateMap, prepareMap, formatNumber } from './map.js';
export type { AttentionMap, Normalize, Cell, Window, PreparedMap } from './map.js';
export { renderTerminal, heatmap, xterm256 } from './terminal.js';
export type { TerminalOptions, TerminalColor, HeatmapOptions } from './terminal.js';
export { renderSvg, escapeXml } from './svg.js';
export type { SvgOptions } from './svg.js';
export { renderRaster } from './raster.js';
export type { RasterOptions, RgbaImage } from './raster.js';
export { overlayAttention, upsampleBilinear } from './overlay.js';
export type { OverlayOptions, PixelImage } from './overlay.js';
