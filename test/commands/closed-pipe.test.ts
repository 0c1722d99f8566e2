// A reader that stops early (`mtls-doctor check -o json | head`) closes the pipe while output is still
// being written: the CLI stops writing and ends with its own exit code, never an EPIPE stack trace.
// Run as the real CLI process with a real pipe whose reader goes away after the first piece.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MEDIUM_MESH, withGeneratedMesh } from '../helpers/generated-mesh.js';

// Output of a few megabytes: far more than a pipe holds, so writes go on after the reader left.
const LARGE_MESH = { ...MEDIUM_MESH, namespaces: 120 };

const ROOT = new URL('../..', import.meta.url).pathname;

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
}, 60_000);

/** Runs the CLI, reads its first piece of output, then closes the pipe as `head -c` would. */
function runAndCloseEarly(args: string[]): Promise<{ code: number | null; stderr: string; read: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [join(ROOT, 'bin/mtls-doctor.js'), ...args], { cwd: ROOT });
    let stderr = '';
    let read = 0;
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
    });
    child.stdout.once('data', (chunk: Buffer) => {
      read = chunk.length;
      child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, read }));
  });
}

describe('output to a pipe closed early', () => {
  // JSON is written piece by piece (text goes out as one write, which the pipe takes whole).
  for (const format of ['json'] as const) {
    it(`check -o ${format}: exit 1 for the error findings, nothing on stderr`, async () => {
      await withGeneratedMesh(LARGE_MESH, async (dir) => {
        const result = await runAndCloseEarly(['check', '-A', '-f', dir, '-o', format, '--no-istioctl']);
        expect(result.read).toBeGreaterThan(0);
        expect(result.stderr).not.toMatch(/EPIPE|Error|at /);
        expect(result.code).toBe(1);
      });
    }, 60_000);
  }
});
