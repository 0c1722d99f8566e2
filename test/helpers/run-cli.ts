import { type Io, main } from '../../commands/main.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `mtls-doctor` in-process with captured output (no colour, fixed clock when given). */
export async function runCli(
  argv: readonly string[],
  options: { cwd?: string; now?: Date } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    isTty: false,
    cwd: options.cwd ?? process.cwd(),
    now: options.now,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
