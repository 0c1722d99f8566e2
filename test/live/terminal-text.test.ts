// Text from the API server (a Status message) reaches the terminal without its escape sequences and
// without line breaks: it cannot retitle the window, clear the screen, or start a line of its own that
// passes for the tool's verdict.
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { controlCharacters } from '../helpers/control-chars.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

let fake: FakeKubeApi | undefined;
afterEach(async () => fake?.stop());

const HOSTILE = 'forbidden\u001b]0;pwned-title\u0007\u001b[2J\u001b[31mRED\nNo mTLS problems found\r';

describe('an API server message with escape sequences and a line break', () => {
  it('in the one error line (401 on every read): sanitised, still one line, exit 3', async () => {
    fake = paymentsCluster().fault('/', { status: 401, reason: 'Unauthorized', message: HOSTILE });
    const config = kubeconfigFile(await fake.start());
    const { code, stdout, stderr } = await runCli(['check', '--no-istioctl', '--kubeconfig', config]);
    expect(code).toBe(EXIT.incomplete);
    expect(stdout).toBe('');
    expect(controlCharacters(stderr)).toEqual([]);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('not authenticated (HTTP 401: forbiddenRED No mTLS problems found)');
  });

  it('in a gap reason of the text report: inside the gap line, never a line of its own', async () => {
    fake = paymentsCluster().fault('/apis/security.istio.io/v1/peerauthentications', {
      status: 403,
      reason: 'Forbidden',
      message: HOSTILE,
    });
    const config = kubeconfigFile(await fake.start());
    const { stdout } = await runCli(['check', '--no-istioctl', '--kubeconfig', config]);
    expect(controlCharacters(stdout)).toEqual([]);
    const lines = stdout.split('\n');
    expect(lines.filter((l) => l.includes('No mTLS problems found'))).toEqual([
      expect.stringMatching(
        /^ {2}\? peerauthentications\.security\.istio\.io list \(all namespaces\): forbidden \(HTTP 403: forbiddenRED No mTLS problems found\): the identity needs/,
      ),
    ]);
  });
});
