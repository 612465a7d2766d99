/**
 * PNG files for the RGBA images of attend/viz. Node only: pngjs compresses with node:zlib.
 */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

/** Encode row-major RGBA pixels (4 bytes a pixel) as a PNG file's bytes (8-bit RGBA, no interlace). */
export function encodePng(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new Error(`encodePng: width and height must be positive integers, received ${width}×${height}`);
  }
  if (rgba.length !== width * height * 4) {
    throw new Error(
      `encodePng: rgba must hold width × height × 4 = ${width * height * 4} bytes for ${width}×${height}, received ${rgba.length}`,
    );
  }
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  const file = PNG.sync.write(png, { colorType: 6 });
  return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
}

/** Decode a PNG file's bytes (any colour type or bit depth pngjs reads) to 8-bit RGBA pixels. */
export function decodePng(bytes: Uint8Array): { data: Uint8ClampedArray; width: number; height: number } {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new Error(`decodePng: bytes must be a PNG file (${bytes.length} bytes received): ${(e as Error).message}`);
  }
  const { data, width, height } = png;
  return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/** Write RGBA pixels to a PNG file. */
export function writePng(path: string, image: { data: Uint8Array | Uint8ClampedArray; width: number; height: number }) {
  writeFileSync(path, encodePng(image.data, image.width, image.height));
}
