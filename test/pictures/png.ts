// Reading the pictures back as images (pngjs): pixels, and the blobs of one exact colour (markers).
import { PNG } from 'pngjs';

export interface Image {
  readonly width: number;
  readonly height: number;
  rgb(x: number, y: number): [number, number, number];
}

export function decodePng(bytes: Uint8Array): Image {
  const png = PNG.sync.read(Buffer.from(bytes));
  return {
    width: png.width,
    height: png.height,
    rgb: (x, y) => {
      const i = (Math.round(y) * png.width + Math.round(x)) * 4;
      return [png.data[i] ?? 0, png.data[i + 1] ?? 0, png.data[i + 2] ?? 0];
    },
  };
}

export function hex(color: string): [number, number, number] {
  const n = Number.parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export interface Blob {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly pixels: number;
}

/** Connected areas of exactly `color` that look like markers: at least `minSize` px across, mostly filled. */
export function markers(image: Image, color: string, minSize = 8): Blob[] {
  const [r, g, b] = hex(color);
  const seen = new Uint8Array(image.width * image.height);
  const match = (x: number, y: number) => {
    const [pr, pg, pb] = image.rgb(x, y);
    return pr === r && pg === g && pb === b;
  };
  const blobs: Blob[] = [];
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (seen[y * image.width + x] || !match(x, y)) continue;
      const stack = [[x, y]];
      seen[y * image.width + x] = 1;
      let [minX, maxX, minY, maxY, count] = [x, x, y, y, 0];
      while (stack.length) {
        const [cx, cy] = stack.pop() as [number, number];
        count++;
        [minX, maxX, minY, maxY] = [
          Math.min(minX, cx),
          Math.max(maxX, cx),
          Math.min(minY, cy),
          Math.max(maxY, cy),
        ];
        for (const [nx, ny] of [
          [cx + 1, cy],
          [cx - 1, cy],
          [cx, cy + 1],
          [cx, cy - 1],
        ] as const) {
          if (nx < 0 || ny < 0 || nx >= image.width || ny >= image.height) continue;
          if (seen[ny * image.width + nx] || !match(nx, ny)) continue;
          seen[ny * image.width + nx] = 1;
          stack.push([nx, ny]);
        }
      }
      const width = maxX - minX + 1;
      const height = maxY - minY + 1;
      if (width >= minSize && height >= minSize && count / (width * height) >= 0.6)
        blobs.push({ x: (minX + maxX) / 2, y: (minY + maxY) / 2, width, height, pixels: count });
    }
  }
  return blobs.sort((a, b) => a.x - b.x);
}
