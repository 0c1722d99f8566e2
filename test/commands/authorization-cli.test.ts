// The reviewer's reproductions through the CLI: `check`, `matrix` and `diff` as users read them (JSON
// contract, exit codes), with the AuthorizationPolicy verdict in place.
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { runCli } from '../helpers/run-cli.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const MANIFESTS = `${ROOT}test/mesh/authorization-manifests`;
const NOW = new Date('2026-11-29T00:00:00Z');
const run = (...argv: string[]) => runCli(argv, { cwd: ROOT, now: NOW });

describe('AuthorizationPolicies in the CLI', () => {
  it('(A) check: no longer "No mTLS problems found"; matrix: loadgen → productpage fails with the 403', async () => {
    const file = `${MANIFESTS}/disable-with-principals.yaml`;
    const check = await run('check', '-f', file, '-o', 'json', '--no-istioctl');
    expect(check.code).toBe(EXIT.findings);
    const finding = JSON.parse(check.stdout).findings.find(
      (f: { code: string }) => f.code === 'authorization-requires-mtls',
    );
    expect(finding).toMatchObject({
      severity: 'error',
      resource: { kind: 'AuthorizationPolicy', namespace: 'bookinfo', name: 'productpage-viewer' },
      remediations: [{ id: 'set-mode-permissive:PeerAuthentication/bookinfo/default' }],
    });
    const matrix = await run('matrix', '-f', file, '-o', 'json');
    const pair = JSON.parse(matrix.stdout).pairs.find(
      (p: { from: string; to: string }) =>
        p.from === 'bookinfo/loadgen' && p.to === 'bookinfo/productpage:9080',
    );
    expect(pair).toMatchObject({
      outcome: 'fail',
      reason: 'authorization-requires-mtls',
      client: { proxy: 'sidecar', tls: 'DISABLE' },
      server: { proxy: 'sidecar', mode: 'DISABLE' },
    });
    expect(pair.symptom).toContain('RBAC: access denied');
  });

  it('(B) diff: the PERMISSIVE change repairs nothing and opens the authorization finding', async () => {
    const result = await run(
      'diff',
      '--base',
      `${MANIFESTS}/strict-with-namespaces.yaml`,
      '-f',
      `${MANIFESTS}/permissive-with-namespaces.yaml`,
      '-o',
      'json',
    );
    const diff = JSON.parse(result.stdout);
    expect(diff.repaired).toEqual([]);
    expect(diff.broken).toEqual([]);
    expect(diff.findings.opened.map((f: { code: string }) => f.code)).toContain(
      'authorization-requires-mtls',
    );
    expect(diff.findings.resolved.map((f: { code: string }) => f.code)).toEqual(['strict-plaintext-clients']);
  });
});
