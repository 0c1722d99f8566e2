// Which files a `-f PATH` means: the file itself, or every YAML/JSON file under a directory,
// following symbolic links to files and directories (a directory reached twice is read once, so a
// link back to a parent cannot loop).
import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ManifestError } from './raw-object.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** @param shown how to name `path` in messages */
export async function listManifestFiles(path: string, shown: (path: string) => string): Promise<string[]> {
  const info = await statOrThrow(path);
  if (!info.isDirectory()) return [path];
  const files: string[] = [];
  const visited = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const isManifest = MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase());
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        if (isManifest) files.push(full);
      } else if (entry.isSymbolicLink()) {
        const target = await stat(full).catch(() => undefined);
        if (target?.isDirectory()) await walk(full);
        else if (isManifest) {
          if (!target) throw new ManifestError(shown(full), 0, 'cannot read: broken symbolic link');
          if (target.isFile()) files.push(full);
        }
      }
    }
  };
  await walk(path);
  return files.sort();
}

async function statOrThrow(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ManifestError(
      path,
      0,
      code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${code}`,
    );
  }
}
