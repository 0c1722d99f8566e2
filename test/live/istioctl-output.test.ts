// istioctl printing JSON that is not its format (a wrapper script, a plugin, another version): an
// optional gap naming istioctl, never a crash and never a finding made of it.
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { fakeIstioctl } from '../helpers/fake-istioctl.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

let fake: FakeKubeApi | undefined;
afterEach(async () => fake?.stop());

async function checkWith(behaviour: { analyze?: string; secret?: unknown }) {
  fake = paymentsCluster();
  const config = kubeconfigFile(await fake.start());
  const istioctl = fakeIstioctl({
    mode: 'answer',
    analyze: behaviour.analyze ?? '[]',
    secrets: { 'payments-0.payments': behaviour.secret ?? {} },
  });
  const { code, stdout, stderr } = await runCli([
    'check',
    '--kubeconfig',
    config,
    '--istioctl',
    istioctl.path,
    '-o',
    'json',
  ]);
  return { code, stderr, result: JSON.parse(stdout) as Result };
}

interface Result {
  readonly findings: { code: string; message: string; resource: { kind: string; name: string } }[];
  readonly gaps: { source: string; reason: string; optional?: boolean }[];
}

const codes = (result: Result) => result.findings.map((f) => f.code);
// The payments cluster has no istio-ca-root-cert ConfigMap: that certificate-missing is not the proxy's.
const proxyCertificateMissing = (result: Result) =>
  result.findings.filter((f) => f.code === 'certificate-missing' && f.resource.kind === 'Pod');

describe('istioctl analyze printing other JSON', () => {
  it.each([
    ['[1,null,"x"]', 'item 0 is 1, not a message object'],
    ['[{"code":5,"level":7}]', 'item 0 has no text "code"'],
    ['{"messages":[]}', 'not a JSON array'],
  ])('%s is an optional gap, not a crash or a finding', async (analyze, why) => {
    const { code, stderr, result } = await checkWith({ analyze });
    expect(stderr).toBe('');
    expect(result.gaps).toContainEqual({
      source: 'istioctl analyze',
      reason: `printed output that is not its JSON format: ${why}`,
      optional: true,
    });
    expect(codes(result)).not.toContain('istioctl-analyze');
    // The payments cluster's own finding decides the exit, as without istioctl.
    expect(code).toBe(EXIT.findings);
  });
});

describe('istioctl proxy-config secret printing other JSON', () => {
  it.each([
    [[1, 2, 3], 'an array, not an object'],
    [7, 'a number, not an object'],
    [{ items: [] }, 'an object with "items", not a secret dump'],
    [{ dynamicActiveSecrets: 'none' }, '"dynamicActiveSecrets" is not a list of secrets'],
  ])('%j is an optional gap, never certificate-missing', async (secret, why) => {
    const { result } = await checkWith({ secret });
    expect(proxyCertificateMissing(result)).toEqual([]);
    expect(result.gaps).toContainEqual({
      source: 'istioctl proxy-config secret payments-0.payments',
      reason: `printed JSON that is not its secret dump: ${why}`,
      optional: true,
    });
  });

  it('an empty dump is still a proxy without a certificate', async () => {
    const { result } = await checkWith({ secret: {} });
    expect(proxyCertificateMissing(result)).toHaveLength(1);
    expect(result.gaps.map((g) => g.source)).not.toContain(
      'istioctl proxy-config secret payments-0.payments',
    );
  });
});
