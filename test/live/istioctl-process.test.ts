// istioctl as a process: the timeout holds even when istioctl leaves a child holding its stdout, and
// manifests piped with `-f -` reach istioctl analyze (as a temporary file, removed afterwards).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT, type Io, main } from '../../commands/main.js';
import { fakeIstioctl } from '../helpers/fake-istioctl.js';
import { runCli } from '../helpers/run-cli.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const WORKLOADS = `${ROOT}examples/mesh/shop/workloads.yaml`;

describe('istioctl as a process', () => {
  it('--istioctl-timeout holds when istioctl has a child that keeps stdout open', async () => {
    const istioctl = fakeIstioctl({ mode: 'hang-with-child' });
    const { code, stdout } = await runCli(
      ['check', '-f', WORKLOADS, '--istioctl', istioctl.path, '--istioctl-timeout', '500'],
      { cwd: ROOT },
    );
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('istioctl analyze: timed out after 500 ms');
  }, 20_000);

  it('with -f -, istioctl analyze gets the piped manifests (a temporary file, removed afterwards)', async () => {
    const piped = readFileSync(WORKLOADS, 'utf8');
    const istioctl = fakeIstioctl({ mode: 'answer', analyze: '[]' });
    let stdout = '';
    const io: Io = {
      stdout: (t) => {
        stdout += t;
      },
      stderr: () => {},
      isTty: false,
      cwd: ROOT,
      stdin: async () => piped,
    };
    const code = await main(['check', '-f', '-', '--istioctl', istioctl.path, '-o', 'json'], io);
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(stdout).gaps).toEqual([]);
    const [call] = istioctl.calls();
    expect(call).not.toContain('-');
    const seen = istioctl.filesSeen();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.text).toBe(piped);
    expect(existsSync(seen[0]?.path as string)).toBe(false);
  });
});
