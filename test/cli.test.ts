import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../commands/main.js';
import { app, namespace, peerAuthentication } from './helpers/mesh.js';
import { runCli } from './helpers/run-cli.js';

const ROOT = new URL('..', import.meta.url).pathname;
const NOW = new Date('2026-11-29T00:00:00Z');

const run = (...argv: string[]) => runCli(argv, { cwd: ROOT, now: NOW });

describe('mtls-doctor check', () => {
  it('reports every field guide error in the bundled example, with exit code 1', async () => {
    const { code, stdout } = await run('check', '-f', `${ROOT}examples/mesh`, '-o', 'json', '--no-istioctl');
    expect(code).toBe(EXIT.findings);
    const result = JSON.parse(stdout);
    const codes = new Set(result.findings.map((f: { code: string }) => f.code));
    for (const expected of [
      'strict-plaintext-clients',
      'destinationrule-tls-conflict',
      'certificate-expired',
      'ca-root-mismatch',
      'serviceentry-tls-origination',
      'auto-mtls-disabled',
      'port-level-mtls-ignored',
    ]) {
      expect(codes).toContain(expected);
    }
    // The JSON contract of design.md §2.
    for (const f of result.findings) {
      expect(Object.keys(f)).toEqual(
        expect.arrayContaining(['code', 'severity', 'message', 'resource', 'related', 'remediations']),
      );
      expect(['error', 'warning', 'info']).toContain(f.severity);
      expect(f.resource).toHaveProperty('kind');
      for (const r of f.remediations)
        expect(Object.keys(r)).toEqual(expect.arrayContaining(['id', 'title', 'risk']));
    }
    expect(result.gaps).toEqual([]);
    expect(result.summary).toMatchObject({ verdict: 'problems-found', scope: 'all namespaces' });
    expect(result.findings[0].location.file).toMatch(/^examples\/mesh\//);
  });

  it('scopes findings to a namespace', async () => {
    const { stdout } = await run('check', '-f', `${ROOT}examples/mesh`, '-n', 'inventory', '-o', 'json');
    const result = JSON.parse(stdout);
    expect(
      result.findings.every(
        (f: { namespaces: string[] }) => f.namespaces.length === 0 || f.namespaces.includes('inventory'),
      ),
    ).toBe(true);
    expect(result.findings.some((f: { code: string }) => f.code === 'destinationrule-tls-conflict')).toBe(
      true,
    );
    expect(result.findings.some((f: { code: string }) => f.code === 'serviceentry-tls-origination')).toBe(
      true,
    );
    expect(result.summary.scope).toBe('namespace inventory');
  });

  it('text output groups by severity and shows the fix commands', async () => {
    const { stdout } = await run('check', '-f', `${ROOT}examples/mesh/inventory`);
    expect(stdout).toMatch(/^mtls-doctor check — all namespaces/);
    expect(stdout).toContain('Errors (');
    expect(stdout).toContain('kubectl patch destinationrule inventory-dr -n inventory --type=merge');
    expect(stdout).not.toContain('\u001b[');
  });

  it('SARIF 2.1.0 with rules, levels and file locations', async () => {
    const { stdout } = await run('check', '-f', `${ROOT}examples/mesh`, '-o', 'sarif');
    const sarif = JSON.parse(stdout);
    expect(sarif.version).toBe('2.1.0');
    const runResult = sarif.runs[0];
    expect(runResult.tool.driver.name).toBe('mtls-doctor');
    const ruleIds = runResult.tool.driver.rules.map((r: { id: string }) => r.id);
    for (const r of runResult.results) {
      expect(ruleIds[r.ruleIndex]).toBe(r.ruleId);
      expect(['error', 'warning', 'note']).toContain(r.level);
    }
    const located = runResult.results.find(
      (r: { ruleId: string }) => r.ruleId === 'destinationrule-tls-conflict',
    );
    expect(located.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'examples/mesh/inventory/workloads.yaml' },
      region: { startLine: 45 },
    });
    expect(runResult.invocations[0].executionSuccessful).toBe(true);
  });

  it('--exit-zero reports the findings but exits 0 (the demo uses it)', async () => {
    const { code, stdout } = await run('check', '-f', `${ROOT}examples/mesh`, '--exit-zero', '--no-istioctl');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('Errors (');
  });

  it('a clean mesh exits 0 and says so', async () => {
    const { code, stdout } = await run('check', '-f', `${ROOT}examples/mesh/shop/workloads.yaml`);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/0 error\(s\), 0 warning\(s\)/);
  });
});

describe('bad input and usage', () => {
  it('a malformed manifest exits 2 naming the file and line', async () => {
    const { code, stderr } = await run('check', '-f', `${ROOT}test/fixtures/bad/bad-mode.yaml`);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toMatch(
      /^mtls-doctor: test\/fixtures\/bad\/bad-mode.yaml:9: PeerAuthentication foo\/default: spec.mtls.mode/,
    );
  });

  it('an unknown namespace exits 2 and lists the namespaces seen', async () => {
    const { code, stderr } = await run('check', '-f', `${ROOT}examples/mesh`, '-n', 'nope');
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(
      'namespace "nope" does not appear in the input (namespaces seen: catalog, inventory, istio-system',
    );
  });

  it('an invalid namespace name, an unknown option and a missing file exit 2', async () => {
    expect((await run('check', '-f', 'x', '-n', 'Bad_Name')).code).toBe(EXIT.usage);
    expect((await run('check', '--bogus')).code).toBe(EXIT.usage);
    const missing = await run('check', '-f', 'does-not-exist.yaml');
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain('does-not-exist.yaml:0: no such file or directory');
  });

  it('an empty -n (an unset variable in a script) is refused, not read as every namespace', async () => {
    const { code, stderr, stdout } = await run('check', '-f', 'examples/mesh', '-n', '');
    expect(stderr).toBe('mtls-doctor: -n/--namespace is empty: give a namespace, or -A for all namespaces\n');
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
  });

  it('a timeout a timer cannot hold is refused, not turned into an immediate timeout', async () => {
    for (const option of ['--request-timeout', '--istioctl-timeout']) {
      const { code, stderr } = await run('check', '-f', 'examples/mesh', option, '3000000000');
      expect(code).toBe(EXIT.usage);
      expect(stderr).toContain('expected at most 2147483647 ms');
    }
  });

  it('standard input given twice is refused (the second read would be empty)', async () => {
    const { code, stderr } = await run('check', '-f', '-', '-f', '-');
    expect(stderr).toBe(
      'mtls-doctor: -f - (standard input) is given more than once: it can be read only once\n',
    );
    expect(code).toBe(EXIT.usage);
  });

  it('without -f and without any kubeconfig: exit 3, never a silent pass', async () => {
    const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
    process.env.KUBECONFIG = '';
    process.env.HOME = '/nonexistent-home';
    try {
      const { code, stderr, stdout } = await run('check');
      expect(code).toBe(EXIT.incomplete);
      expect(stderr).toContain('no Kubernetes cluster configured');
      expect(stdout).toBe('');
    } finally {
      process.env.KUBECONFIG = saved.KUBECONFIG;
      process.env.HOME = saved.HOME;
    }
  });
});

describe('mtls-doctor matrix', () => {
  it('JSON pairs in the contract shape, failures carrying the finding code and symptom', async () => {
    const { code, stdout } = await run(
      'matrix',
      '-f',
      `${ROOT}examples/mesh`,
      '-n',
      'payments',
      '-o',
      'json',
    );
    expect(code).toBe(EXIT.findings);
    const { pairs } = JSON.parse(stdout);
    const legacy = pairs.find((p: { from: string }) => p.from === 'legacy/legacy-batch');
    expect(legacy).toEqual({
      from: 'legacy/legacy-batch',
      to: 'payments/payments:8080',
      outcome: 'fail',
      client: { proxy: 'none', tls: 'DISABLE' },
      server: { proxy: 'sidecar', mode: 'STRICT' },
      reason: 'strict-plaintext-clients',
      symptom: 'connection reset by peer (curl: (56) Recv failure; HTTP status 000)',
    });
    const frontend = pairs.find((p: { from: string }) => p.from === 'shop/frontend');
    expect(frontend).toMatchObject({
      outcome: 'ok',
      client: { proxy: 'sidecar', tls: 'ISTIO_MUTUAL' },
      reason: 'ok',
    });
  });

  it('refuses a matrix larger than --max-pairs instead of exhausting memory', async () => {
    const { code, stderr } = await run('matrix', '-f', `${ROOT}examples/mesh`, '--max-pairs', '5');
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('the matrix would hold 64 pairs (limit 5): narrow it with -n NAMESPACE');
  });

  it('text table lists failures first', async () => {
    const { stdout } = await run('matrix', '-f', `${ROOT}examples/mesh`, '-n', 'payments');
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^FROM\s+TO\s+OUTCOME/);
    expect(lines[1]).toContain('fail');
    expect(stdout).toMatch(/\d+ pairs: \d+ failing, \d+ ok\./);
  });
});

describe('the installed command', () => {
  it('runs from bin/ with --help and reads stdin with -f -', () => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
    const help = execFileSync('node', ['bin/mtls-doctor.js', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(help).toContain('Usage: mtls-doctor');
    const piped = spawnSync('node', ['bin/mtls-doctor.js', 'check', '-f', '-', '-o', 'json'], {
      cwd: ROOT,
      input:
        'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: foo}\nspec: {mtls: {mode: STRICT}}\n',
      encoding: 'utf8',
    });
    expect(piped.status).toBe(0);
    expect(JSON.parse(piped.stdout).findings[0].code).toBe('strict-plaintext-clients');
  }, 60_000);
});

/** A manifest file in a fresh temporary directory; returns its path. */
function manifest(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mtls-doctor-cli-')), 'mesh.yaml');
  writeFileSync(file, yaml);
  return file;
}

// shop: 1 workload; other: 2; a mesh-wide policy in istio-system applies to both.
const TWO_NAMESPACES =
  namespace('shop') +
  namespace('other') +
  app('shop', 'web') +
  app('other', 'a') +
  app('other', 'b') +
  peerAuthentication('shop', 'default', 'STRICT') +
  peerAuthentication('other', 'default', 'STRICT') +
  peerAuthentication('istio-system', 'default', 'STRICT');

describe('small things users trip on', () => {
  it('digest -n keeps only that namespace; an unknown namespace exits 2', async () => {
    const file = manifest(TWO_NAMESPACES);
    const all = await run('digest', '-f', file, '-o', 'json');
    expect(JSON.parse(all.stdout).posture.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual([
      'other',
      'shop',
    ]);
    const shop = await run('digest', '-f', file, '-n', 'shop', '-o', 'json');
    expect(shop.code).toBe(EXIT.ok);
    expect(JSON.parse(shop.stdout).posture.namespaces).toEqual([
      expect.objectContaining({ namespace: 'shop', workloads: 1 }),
    ]);
    const text = await run('digest', '-f', file, '-n', 'shop');
    expect(text.stdout).toContain('shop');
    expect(text.stdout).not.toContain('other');
    const unknown = await run('digest', '-f', file, '-n', 'nosuch');
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('namespace "nosuch" does not appear in the input');
  });

  it("check -n counts what it checked: the namespace's objects and the mesh-wide policy", async () => {
    const file = manifest(TWO_NAMESPACES);
    const all = await run('check', '-f', file, '--no-istioctl');
    expect(all.stdout.split('\n')[0]).toContain('(3 workloads, 3 services, 3 PeerAuthentications,');
    const shop = await run('check', '-f', file, '-n', 'shop', '--no-istioctl');
    expect(shop.stdout.split('\n')[0]).toBe(
      'mtls-doctor check — namespace shop (1 workload, 1 service, 2 PeerAuthentications, 0 DestinationRules, 0 ServiceEntries, 0 AuthorizationPolicies)',
    );
    const json = await run('check', '-f', file, '-n', 'shop', '--no-istioctl', '-o', 'json');
    expect(JSON.parse(json.stdout).summary.checked).toMatchObject({
      namespaces: 1,
      workloads: 1,
      services: 1,
      peerAuthentications: 2,
    });
  });

  it('no arguments: the help on stdout, exit 0', async () => {
    const { code, stdout, stderr } = await run();
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('Usage: mtls-doctor [options] [command]');
    expect(stdout).toMatch(/^ {2}check +diagnose mTLS configuration/m);
    expect(stderr).toBe('');
  });

  it('PeerAuthentication conflicts read as English for every scope', async () => {
    const created = (day: number) => ({ created: `2026-0${day}-01T00:00:00Z` });
    const file = manifest(
      namespace('shop') +
        app('shop', 'web') +
        peerAuthentication('shop', 'old', 'STRICT', created(1)) +
        peerAuthentication('shop', 'new', 'PERMISSIVE', created(2)) +
        peerAuthentication('shop', 'a', 'STRICT', { selector: { app: 'web' }, ...created(1) }) +
        peerAuthentication('shop', 'b', 'STRICT', { selector: { app: 'web' }, ...created(2) }) +
        peerAuthentication('istio-system', 'm1', 'STRICT', created(1)) +
        peerAuthentication('istio-system', 'm2', 'STRICT', created(2)) +
        peerAuthentication('istio-system', 'm3', 'STRICT', created(3)),
    );
    const { stdout } = await run('check', '-f', file, '--no-istioctl', '-o', 'json');
    const messages = (JSON.parse(stdout).findings as { code: string; message: string }[])
      .filter((f) => f.code === 'peerauthentication-conflict')
      .map((f) => f.message.split(':')[0])
      .sort();
    expect(messages).toEqual([
      '3 mesh-wide PeerAuthentications exist (in the root namespace istio-system); Istio keeps only the oldest',
      '3 mesh-wide PeerAuthentications exist (in the root namespace istio-system); Istio keeps only the oldest',
      'Two PeerAuthentications with a selector select web; Istio applies only the oldest, with no merging of ports',
      'Two namespace-wide PeerAuthentications exist in shop; Istio keeps only the oldest',
    ]);
  });
});

describe('the program name', () => {
  it('--help names the command as invoked: kubectl mtls as a kubectl plugin', () => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
    const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-bin-'));
    symlinkSync(join(ROOT, 'bin/mtls-doctor.js'), join(dir, 'kubectl-mtls'));
    symlinkSync(join(ROOT, 'bin/mtls-doctor.js'), join(dir, 'mtls-doctor'));
    const help = (name: string, ...args: string[]) =>
      execFileSync('node', [join(dir, name), ...args, '--help'], { encoding: 'utf8' });
    expect(help('kubectl-mtls')).toContain('Usage: kubectl mtls [options] [command]');
    expect(help('kubectl-mtls', 'check')).toContain('Usage: kubectl mtls check [options]');
    expect(help('kubectl-mtls')).not.toContain('mtls-doctor');
    expect(help('mtls-doctor')).toContain('Usage: mtls-doctor [options] [command]');
  }, 60_000);
});
