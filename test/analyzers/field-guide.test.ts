// Each of the field guide's five errors, written as in the guide, yields its code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { snapshotOf } from '../helpers/mesh.js';

const NOW = new Date('2026-11-29T00:00:00Z');
function findings(file: string) {
  const yaml = readFileSync(new URL(`../fixtures/field-guide/${file}`, import.meta.url), 'utf8');
  return diagnose(snapshotOf(yaml), { now: NOW }).findings;
}
const codes = (file: string) => findings(file).map((f) => `${f.severity}:${f.code}`);

describe('field guide errors', () => {
  it('error 1: STRICT with a client without a sidecar names the client, the service and the fix', () => {
    const list = findings('error1-strict-with-clients.yaml');
    const f = list.find((x) => x.code === 'strict-plaintext-clients');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('batch/nightly-report');
    expect(f?.message).toContain('your-namespace/api:8080');
    expect(f?.message).toContain('curl: (56)');
    expect(f?.resource).toEqual({ kind: 'PeerAuthentication', namespace: 'your-namespace', name: 'default' });
    expect(f?.remediations.map((r) => r.id)).toEqual([
      'set-mode-permissive:PeerAuthentication/your-namespace/default',
      'port-exception:PeerAuthentication/your-namespace/api-port-8080:8080',
      'label-injection:Namespace/batch',
    ]);
  });

  it('error 1, policy only: the STRICT policy is a warning, since the clients are unknown', () => {
    expect(codes('error1-strict-policy-only.yaml')).toEqual(['warning:strict-plaintext-clients']);
  });

  it("error 1, the guide's Solution 2 (portLevelMtls without selector) is ignored by Istio", () => {
    const f = findings('error1-solution2.yaml').find((x) => x.code === 'port-level-mtls-ignored');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('port 8080');
    expect(f?.path).toBe('spec.portLevelMtls');
  });

  it('error 2: a DestinationRule DISABLE against a STRICT workload policy, judged from the policies alone', () => {
    const f = findings('error2-dr-mismatch.yaml').find((x) => x.code === 'destinationrule-tls-conflict');
    expect(f?.severity).toBe('error');
    expect(f?.resource).toEqual({ kind: 'DestinationRule', namespace: 'default', name: 'my-service-dr' });
    expect(f?.related).toContainEqual({
      kind: 'PeerAuthentication',
      namespace: 'default',
      name: 'my-service-auth',
    });
    expect(f?.remediations[0]?.kubectl).toBe(
      `kubectl patch destinationrule my-service-dr -n default --type=merge -p '{"spec":{"trafficPolicy":{"tls":{"mode":"ISTIO_MUTUAL"}}}}'`,
    );
  });

  it("error 4: the guide's DR SIMPLE on an HTTPS port double-encrypts; HTTP to port 443 without origination fails", () => {
    const doubled = findings('error4-serviceentry-guide-fix.yaml').find(
      (x) => x.code === 'serviceentry-tls-origination',
    );
    expect(doubled?.message).toContain('second TLS layer');
    const plain = findings('error4-serviceentry-without-tls.yaml').find(
      (x) => x.code === 'serviceentry-tls-origination',
    );
    expect(plain?.message).toContain('no DestinationRule originates it');
    expect(plain?.remediations[0]?.body).toMatchObject({
      spec: {
        host: 'api.external-service.com',
        trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'api.external-service.com' } },
      },
    });
  });

  it('error 5: auto mTLS off is a warning alone and an error when a STRICT service has sidecar clients without a DR', () => {
    expect(codes('error5-auto-mtls-off.yaml')).toEqual(['warning:auto-mtls-disabled']);
    const f = findings('error5-with-strict-service.yaml').find((x) => x.code === 'auto-mtls-disabled');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('shop/frontend');
    // The patch is computed from the live ConfigMap when previewed; pasted, the command refuses if the
    // mesh text changed since the check.
    expect(f?.remediations[0]?.edit).toEqual({ kind: 'enable-auto-mtls-mesh' });
    expect(f?.remediations[0]?.kubectl).toContain(
      JSON.stringify({
        op: 'replace',
        path: '/data/mesh',
        value: 'enableAutoMtls: true\nrootNamespace: istio-system',
      }),
    );
  });
});
