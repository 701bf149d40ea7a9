/**
 * Deterministic synthetic pixel data for the fixtures (PS3.5 section 8: native pixel data, little endian, pixel
 * interleaved colour). Images look like something (a phantom, bars, a moving disc) so that lossy codecs behave as they
 * do on real images, and each frame differs so a misplaced frame is visible.
 *
 * @packageDocumentation
 */

/** A small deterministic PRNG (xorshift32) for noise. */
function noise(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/**
 * A CT-like slice, 16 bits allocated and 12 stored (0..4095, meant with Rescale Intercept -1024): air, an elliptic
 * body of soft tissue, a bone ring that changes with the slice, and noise.
 */
export function ctSlice(rows: number, columns: number, slice: number): Uint8Array {
  const out = new Uint16Array(rows * columns);
  const jitter = noiseTable();
  const cy = rows / 2;
  const cx = columns / 2;
  const ry = rows * 0.38;
  const rx = columns * 0.45;
  const bone = 0.55 + 0.25 * Math.sin(slice / 7);
  // |sqrt(r) - bone| < 0.05, without a square root per pixel.
  const boneInner = (bone - 0.05) ** 2;
  const boneOuter = (bone + 0.05) ** 2;
  const dx2 = Float64Array.from({ length: columns }, (_, x) => ((x - cx) / rx) ** 2);
  const texture = Float64Array.from({ length: columns }, (_, x) => 30 * Math.sin((x + slice) / 9));
  const offset = Math.imul(slice, 7919);
  for (let y = 0; y < rows; y++) {
    const dy2 = ((y - cy) / ry) ** 2;
    const rowTexture = Math.cos(y / 11);
    const base = y * columns;
    for (let x = 0; x < columns; x++) {
      const r = dx2[x]! + dy2;
      let value: number;
      if (r > 1) value = 24;
      else if (r > boneInner && r < boneOuter) value = 1924;
      else value = 1064 + ((texture[x]! * rowTexture) | 0);
      value += jitter[(base + x + offset) & 0xffff]!;
      out[base + x] = value < 0 ? 0 : value > 4095 ? 4095 : value;
    }
  }
  return new Uint8Array(out.buffer);
}

let jitterTable: Int8Array | undefined;

/** 64 Ki deterministic noise values in -12..12, shared by every slice (cheaper than a PRNG call per pixel). */
function noiseTable(): Int8Array {
  if (jitterTable === undefined) {
    const random = noise(0x1000);
    jitterTable = Int8Array.from({ length: 65_536 }, () => Math.round((random() - 0.5) * 24));
  }
  return jitterTable;
}

/** An MR-like slice using all 16 bits (0..65535): a bright ellipse with rings and noise. */
export function mrSlice(rows: number, columns: number, slice: number): Uint8Array {
  const out = new Uint16Array(rows * columns);
  const random = noise(0x2000 + slice);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const dy = (y - rows / 2) / (rows * 0.42);
      const dx = (x - columns / 2) / (columns * 0.36);
      const r = Math.sqrt(dx * dx + dy * dy);
      const base = r > 1 ? 300 : 20_000 + 25_000 * (0.5 + 0.5 * Math.cos(r * 18 + slice));
      out[y * columns + x] = Math.min(65_535, Math.max(0, Math.round(base + (random() - 0.5) * 2000)));
    }
  }
  return new Uint8Array(out.buffer);
}

/** 8-bit monochrome frames: a gradient with a disc that moves from frame to frame. */
export function mono8Frames(rows: number, columns: number, frames: number): Uint8Array {
  const out = new Uint8Array(rows * columns * frames);
  const random = noise(0x3000);
  for (let f = 0; f < frames; f++) {
    const cx = columns * (0.2 + (0.6 * f) / Math.max(1, frames - 1));
    const cy = rows / 2;
    const radius = Math.min(rows, columns) / 6;
    const base = f * rows * columns;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        const inside = (x - cx) ** 2 + (y - cy) ** 2 < radius * radius;
        const value = inside ? 230 : Math.round((x / columns) * 160 + (y / rows) * 40);
        out[base + y * columns + x] = Math.min(255, Math.max(0, value + Math.round((random() - 0.5) * 6)));
      }
    }
  }
  return out;
}

/** 8-bit RGB, pixel interleaved (Planar Configuration 0): colour bars over a vertical gradient. */
export function rgbImage(rows: number, columns: number): Uint8Array {
  const bars: readonly (readonly [number, number, number])[] = [
    [255, 255, 255],
    [255, 255, 0],
    [0, 255, 255],
    [0, 255, 0],
    [255, 0, 255],
    [255, 0, 0],
    [0, 0, 255],
    [16, 16, 16],
  ];
  const out = new Uint8Array(rows * columns * 3);
  for (let y = 0; y < rows; y++) {
    const shade = 0.35 + (0.65 * (rows - y)) / rows;
    for (let x = 0; x < columns; x++) {
      const bar = bars[Math.min(bars.length - 1, Math.floor((x * bars.length) / columns))]!;
      const at = (y * columns + x) * 3;
      out[at] = Math.round(bar[0] * shade);
      out[at + 1] = Math.round(bar[1] * shade);
      out[at + 2] = Math.round(bar[2] * shade);
    }
  }
  return out;
}
