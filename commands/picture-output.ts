// `-o png --out FILE`, shared by the commands that draw: the flag pair checked up front (bad usage is
// exit 2 before any reading), and the picture written where asked with a one-line note of what it shows.
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Picture } from '../src/render/pictures/picture.js';
import { type Io, UsageError } from './cli-kit.js';

export const OUT_HELP = 'file to write the picture to (with -o png)';

export function checkPictureOptions(options: { output: string; out?: string }): void {
  if (options.output === 'png' && !options.out)
    throw new UsageError('-o png writes a picture: name the file with --out FILE');
  if (options.output !== 'png' && options.out)
    throw new UsageError(`--out is for -o png (the ${options.output} output goes to standard output)`);
}

export function writePicture(io: Io, out: string, picture: Picture): void {
  const path = resolve(io.cwd, out);
  try {
    writeFileSync(path, picture.png);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? `the directory ${dirname(out)} does not exist`
        : code === 'EISDIR'
          ? 'is a directory'
          : (error as Error).message;
    throw new UsageError(`--out ${out}: ${reason}`);
  }
  io.stdout(`wrote ${out} (${picture.width}×${picture.height} px): ${picture.alt}\n`);
}
