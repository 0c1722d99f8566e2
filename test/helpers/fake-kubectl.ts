// Runs printed command text in a real shell (bash) with a fake `kubectl` first on PATH that records
// each invocation's argv and, when it reads a manifest from stdin, what it got. The shell runs in an
// empty directory, so a command injected through a name would leave a file there.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KubectlCall {
  readonly argv: string[];
  readonly stdin?: string;
}

export interface ShellRun {
  readonly status: number | null;
  readonly stderr: string;
  readonly calls: KubectlCall[];
  /** Files the commands left in the working directory (none expected). */
  readonly leftovers: string[];
}

const FAKE_KUBECTL = `#!/bin/sh
# Named by start time, so commands run one after the other are listed in order.
d="$KUBECTL_LOG/$(date +%s%N)-$$"
mkdir "$d"
printf '%s\\0' "$@" > "$d/argv"
for a in "$@"; do
  if [ "$a" = "-" ]; then cat > "$d/stdin"; fi
done
`;

export function runInShell(script: string): ShellRun {
  const root = mkdtempSync(join(tmpdir(), 'mtls-doctor-shell-'));
  const bin = join(root, 'bin');
  const log = join(root, 'log');
  const work = join(root, 'work');
  for (const dir of [bin, log, work]) mkdirSync(dir);
  writeFileSync(join(bin, 'kubectl'), FAKE_KUBECTL);
  chmodSync(join(bin, 'kubectl'), 0o755);
  writeFileSync(join(root, 'script.sh'), script);
  const run = spawnSync('bash', [join(root, 'script.sh')], {
    cwd: work,
    env: { PATH: `${bin}:${process.env.PATH}`, KUBECTL_LOG: log },
    encoding: 'utf8',
  });
  const calls = readdirSync(log)
    .sort((a, b) => (BigInt(a.split('-')[0] ?? 0) < BigInt(b.split('-')[0] ?? 0) ? -1 : 1))
    .map((name) => {
      const dir = join(log, name);
      const argv = readFileSync(join(dir, 'argv'), 'utf8').split('\0').slice(0, -1);
      const stdinFile = join(dir, 'stdin');
      return { argv, ...(existsSync(stdinFile) ? { stdin: readFileSync(stdinFile, 'utf8') } : {}) };
    });
  return { status: run.status, stderr: run.stderr, calls, leftovers: readdirSync(work) };
}

/** `bash -n`: the text parses as a complete shell script (a heredoc that never ends does not). */
export function shellSyntaxErrors(script: string): string {
  const run = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  return run.stderr;
}
