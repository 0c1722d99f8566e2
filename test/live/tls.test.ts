// The live read over TLS with the kubeconfig's own trust and credentials: the cluster's CA
// (certificate-authority-data), the server name to verify (tls-server-name) and a client certificate
// (client-certificate-data / client-key-data) instead of a token; a server the CA did not sign is refused.
import { Buffer } from 'node:buffer';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { daysFrom, type Issued, issueCertificate } from '../helpers/certs.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

let fake: FakeKubeApi | undefined;
afterEach(async () => fake?.stop());

const now = new Date();
const valid = { notBefore: daysFrom(now, -1), notAfter: daysFrom(now, 30) };
const ca = issueCertificate({ commonName: 'kubernetes-ca', isCa: true, ...valid });
const serverCert = issueCertificate({ commonName: 'kube.test', issuer: ca, ...valid });
const clientCert = issueCertificate({ commonName: 'mtls-doctor-reader', issuer: ca, ...valid });
const keyPem = (issued: Issued) => forge.pki.privateKeyToPem(issued.key);
const b64 = (pem: string) => Buffer.from(pem).toString('base64');

function kubeconfig(server: string, trusted: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mtls-doctor-kube-')), 'config');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
  - name: tls
    cluster:
      server: "${server}"
      certificate-authority-data: ${b64(trusted)}
      tls-server-name: kube.test
users:
  - name: reader
    user:
      client-certificate-data: ${b64(clientCert.pem)}
      client-key-data: ${b64(keyPem(clientCert))}
contexts:
  - name: tls
    context: { cluster: tls, user: reader }
current-context: tls
`,
  );
  return file;
}

async function start(): Promise<string> {
  fake = paymentsCluster();
  return fake.start({ key: keyPem(serverCert), cert: serverCert.pem, ca: ca.pem });
}

describe('the live read over TLS', () => {
  it("trusts the kubeconfig's CA and presents its client certificate on every request", async () => {
    const config = kubeconfig(await start(), ca.pem);
    const { code, stdout, stderr } = await runCli([
      'check',
      '--kubeconfig',
      config,
      '-o',
      'json',
      '--no-istioctl',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.findings);
    const result = JSON.parse(stdout);
    expect(result.gaps).toEqual([]);
    expect(result.findings.map((f: { code: string }) => f.code)).toContain('strict-plaintext-clients');
    expect(fake?.requests.length).toBeGreaterThanOrEqual(10);
    expect(fake?.requests.every((r) => r.clientCertificate === 'mtls-doctor-reader')).toBe(true);
  });

  it('a server certificate the kubeconfig does not trust: exit 3 with one line, nothing read', async () => {
    const other = issueCertificate({ commonName: 'other-ca', isCa: true, ...valid });
    const config = kubeconfig(await start(), other.pem);
    const { code, stdout, stderr } = await runCli(['check', '--kubeconfig', config, '--no-istioctl']);
    expect(code).toBe(EXIT.incomplete);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /^mtls-doctor: cannot read the cluster at https:\/\/127\.0\.0\.1:\d+: .*certificate/,
    );
    expect(fake?.requests).toEqual([]);
  });
});
