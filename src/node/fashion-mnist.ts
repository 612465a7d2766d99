/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf 2017: Zalando's clothing images, 28×28 grey, ten
 * classes) from the IDX files Debian's `dataset-fashion-mnist` installs. Reads and gunzips
 * here (Node); the format itself is parsed by src/data/idx.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseIdx } from '../data/idx.js';
import type { ImageSet } from '../data/scenes.js';
import { readFileChecked } from './files.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The compressed files are 26 MB at most; the 60,000 training images 47 MB unpacked. */
const MAX_GZ_BYTES = 64 * 1024 * 1024;
const MAX_IDX_BYTES = 128 * 1024 * 1024;

export type FashionSplit = 'train' | 't10k';

function gunzipFile(path: string): Uint8Array {
  const gz = readFileChecked(path, MAX_GZ_BYTES);
  try {
    return gunzipSync(gz, { maxOutputLength: MAX_IDX_BYTES });
  } catch (e) {
    throw new Error(
      `${path}: not a gzip file, or larger than ${MAX_IDX_BYTES} bytes unpacked: ${(e as Error).message}`,
    );
  }
}

/** Load one split's images [N, 28, 28] uint8 and labels [N] (0…9), checked against each other. */
export function loadFashionMnist(split: FashionSplit, dir = FASHION_MNIST_DIR): ImageSet {
  const imagesPath = join(dir, `${split}-images-idx3-ubyte.gz`);
  const labelsPath = join(dir, `${split}-labels-idx1-ubyte.gz`);
  for (const p of [imagesPath, labelsPath]) {
    if (!existsSync(p))
      throw new Error(`${p} is missing: install Fashion-MNIST with 'apt-get install dataset-fashion-mnist'`);
  }
  const images = parseIdx(gunzipFile(imagesPath), imagesPath);
  const labels = parseIdx(gunzipFile(labelsPath), labelsPath);
  if (images.type !== 'uint8' || images.shape.length !== 3)
    throw new Error(`${imagesPath}: expected uint8 images [N, H, W], received ${images.type} [${images.shape.join(', ')}]`); // prettier-ignore
  if (labels.type !== 'uint8' || labels.shape.length !== 1)
    throw new Error(`${labelsPath}: expected uint8 labels [N], received ${labels.type} [${labels.shape.join(', ')}]`);
  if (labels.shape[0] !== images.shape[0])
    throw new Error(`${labelsPath} holds ${labels.shape[0]} labels for ${images.shape[0]} images in ${imagesPath}`);
  const bad = (labels.data as Uint8Array).findIndex((l) => l > 9);
  if (bad >= 0) throw new Error(`${labelsPath}: label ${bad} is ${labels.data[bad]}, expected 0…9`);
  return {
    images: images.data as Uint8Array,
    labels: labels.data as Uint8Array,
    count: images.shape[0],
    height: images.shape[1],
    width: images.shape[2],
  };
}
