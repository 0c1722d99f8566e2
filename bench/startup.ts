// Start-up as the user feels it: the whole CLI process, against a bare `node -e 0` on this machine.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin/mtls-doctor.js');

function medianMs(args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    try {
      execFileSync(process.execPath, args, { stdio: 'ignore' });
    } catch {
      // check exits 1 on findings; the time is what counts here.
    }
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)] ?? 0;
}

export interface StartupFigures {
  readonly nodeMs: number;
  readonly helpMs: number;
  readonly checkSmallMs: number;
}

/** Medians of `runs` processes: node alone, `--help`, and `check -f` of a 6-object file. */
export function measureStartup(runs = 9): StartupFigures {
  const small = join(root, 'test/fixtures/field-guide/error1-strict-with-clients.yaml');
  return {
    nodeMs: medianMs(['-e', '0'], runs),
    helpMs: medianMs([bin, '--help'], runs),
    checkSmallMs: medianMs([bin, 'check', '-f', small, '--no-istioctl'], runs),
  };
}
