// `mtls-doctor diff` through the real CLI: every output format, exit codes, --what-if, --base-ref.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitIn } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';

const TASKS = 'test/fixtures/istio-io-tasks';
const A = `${TASKS}/mtls-migration-a-setup/manifests.yaml`;
const B = `${TASKS}/mtls-migration-b-lock-down-foo/manifests.yaml`;
const NOW = new Date('2026-11-29T00:00:00Z');
const diff = (...args: string[]) => runCli(['diff', ...args], { now: NOW });

describe('mtls-doctor diff --base', () => {
  it('text: broken calls with before/after, findings, changed objects; exit 1', async () => {
    const run = await diff('--base', A, '-f', B);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Broken calls (2)');
    expect(run.stdout).toContain(
      '✗ legacy/curl → foo/httpbin:8000\n      before: ok\n      after:  fail — strict-plaintext-clients: connection reset by peer',
    );
    expect(run.stdout).toContain('+ error strict-plaintext-clients');
    expect(run.stdout).toContain(`added    PeerAuthentication foo/default (${B}:267)`);
    expect(run.stdout).toContain('breaks 2 call(s), repairs 0');
  });

  it('json: the design.md shape with both sides of each pair; the reverse change repairs, exit 0', async () => {
    const run = await diff('--base', A, '-f', B, '-o', 'json');
    const out = JSON.parse(run.stdout);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['broken', 'repaired', 'findings', 'changed']));
    expect(out.broken.map((p: { from: string; to: string }) => `${p.from} -> ${p.to}`)).toEqual([
      'legacy/curl -> foo/curl:80',
      'legacy/curl -> foo/httpbin:8000',
    ]);
    expect(out.broken[1]).toMatchObject({
      outcome: 'fail',
      client: { proxy: 'none', tls: 'DISABLE' },
      server: { proxy: 'sidecar', mode: 'STRICT' },
      reason: 'strict-plaintext-clients',
      before: { outcome: 'ok', reason: 'ok' },
      causes: [
        {
          kind: 'PeerAuthentication',
          namespace: 'foo',
          name: 'default',
          change: 'added',
          location: { file: B, line: 267 },
        },
      ],
    });
    expect(out.findings.opened.map((f: { code: string }) => f.code)).toEqual(['strict-plaintext-clients']);
    expect(out.changed).toEqual([
      {
        kind: 'PeerAuthentication',
        namespace: 'foo',
        name: 'default',
        change: 'added',
        location: { file: B, line: 267 },
      },
    ]);
    const back = await diff('--base', B, '-f', A, '-o', 'json');
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout).repaired).toHaveLength(2);
  });

  it('sarif: one result per broken call at the changed object’s file and line', async () => {
    const run = await diff('--base', A, '-f', B, '-o', 'sarif');
    expect(run.code).toBe(1);
    const results = JSON.parse(run.stdout).runs[0].results;
    expect(results).toHaveLength(2);
    expect(results[1].ruleId).toBe('mtls-call-broken');
    expect(results[1].message.text).toContain(
      'legacy/curl → foo/httpbin:8000 breaks: strict-plaintext-clients',
    );
    expect(results[1].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: B },
      region: { startLine: 267 },
    });
  });

  it('markdown: a PR comment with the verdict and a table of broken calls', async () => {
    const run = await diff('--base', A, '-f', B, '-o', 'markdown');
    expect(run.stdout).toContain(':x: **Breaks 2 call(s)**, repairs 0.');
    expect(run.stdout).toContain(
      '| `legacy/curl` | `foo/httpbin:8000` | ok → **strict-plaintext-clients** | connection reset by peer',
    );
  });

  it('no change: exit 0, breaks nothing', async () => {
    const run = await diff('--base', A, '-f', A);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('breaks nothing, repairs 0 call(s) (0 object(s) changed, 0 pairs compared)');
  });

  it('a change to a Sidecar alone, not to any policy or rule, still breaks calls: exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-diff-sidecar-'));
    try {
      const after = join(dir, 'after.yaml');
      const sidecar = `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: own-only, namespace: bar}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
  egress:
  - hosts: ["./*"]
`;
      writeFileSync(after, readFileSync(A, 'utf8') + sidecar);
      const run = await diff('--base', A, '-f', after);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        '✗ bar/curl → foo/httpbin:8000\n      before: ok\n      after:  fail — service-not-visible-blackhole',
      );
      expect(run.stdout).toMatch(/added {4}Sidecar bar\/own-only \(.*after\.yaml:\d+\)/);
      expect(run.stdout).toMatch(/breaks \d+ call\(s\), repairs 0 \(1 object\(s\) changed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad usage and input: exit 2 with one line', async () => {
    expect((await diff('-f', B)).stderr).toContain(
      'give exactly one of --base PATH, --base-ref GITREF or --what-if CHANGE',
    );
    expect((await diff('--base', A)).stderr).toContain('add -f PATH');
    const missing = await diff('--base', 'no/such/dir', '-f', B);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no\/such\/dir.*no such file or directory/);
    const bad = await diff('--base', A, '-f', B, '-o', 'html');
    expect(bad.code).toBe(2);
  });

  it('a change too broad for --max-pairs: exit 3 and says how many pairs', async () => {
    // Mesh-wide STRICT and a client gaining a sidecar: clients change, so pairs go one by one.
    const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-broad-'));
    try {
      const c = readFileSync(`${TASKS}/mtls-migration-c-lock-down-mesh/manifests.yaml`, 'utf8');
      writeFileSync(
        join(dir, 'after.yaml'),
        c.replace(/name: legacy\n/, 'name: legacy\n  labels: {istio-injection: enabled}\n'),
      );
      const run = await diff('--base', A, '-f', join(dir, 'after.yaml'), '--max-pairs', '3', '-o', 'json');
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(
        'too broad to enumerate: the change (PeerAuthentication istio-system/default) can affect 25 pairs (limit 3)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a mesh-wide what-if lists calls up to --max-pairs and counts them all', async () => {
    const run = await diff('-f', A, '--what-if', 'mesh mode=STRICT', '--max-pairs', '1');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Broken calls (4)');
    expect(run.stdout).toContain('… and 3 more (lists stop at --max-pairs; -o json has the counts)');
    expect(run.stdout).toContain('breaks 4 call(s), repairs 0');
  });
});

describe('mtls-doctor diff --what-if', () => {
  it('namespace=foo mode=STRICT from step a gives the same breakage as the YAML of step b, and the plan', async () => {
    const run = await diff('-f', A, '--what-if', 'namespace=foo mode=STRICT');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('what if namespace foo → STRICT');
    expect(run.stdout).toContain('✗ legacy/curl → foo/httpbin:8000');
    expect(run.stdout).toContain('callers without a sidecar that would be reset: legacy/curl');
    expect(run.stdout).toContain('label namespace legacy istio-injection=enabled');
    expect(run.stdout).toContain('or keep PERMISSIVE for now');
    expect(run.stdout).toContain('portLevelMtls');
    const json = JSON.parse(
      (await diff('-f', A, '--what-if', 'namespace=foo mode=STRICT', '-o', 'json')).stdout,
    );
    const yaml = JSON.parse((await diff('--base', A, '-f', B, '-o', 'json')).stdout);
    const calls = (o: { broken: { from: string; to: string }[] }) =>
      o.broken.map((p) => `${p.from} -> ${p.to}`);
    expect(calls(json)).toEqual(calls(yaml));
    expect(json.plan.clientsWithoutSidecar).toEqual(['legacy/curl']);
  });

  it('PERMISSIVE undoes STRICT: exit 0 and the calls are repaired', async () => {
    const run = await diff('-f', B, '--what-if', 'namespace=foo mode=PERMISSIVE', '-o', 'json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).repaired).toHaveLength(2);
  });

  it('a what-if it cannot read, or an unknown namespace: exit 2', async () => {
    const bad = await diff('-f', A, '--what-if', 'namespace=foo mode=STRICTER');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--what-if: mode "STRICTER" is not one of STRICT, PERMISSIVE, DISABLE');
    const unknown = await diff('-f', A, '--what-if', 'namespace=shop mode=STRICT');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--what-if: namespace "shop" does not appear in the input');
  });
});

describe('mtls-doctor diff --what-if beyond PeerAuthentication modes', () => {
  const GUIDE = 'test/fixtures/field-guide';

  it('automtls=off on step b: sidecar callers of STRICT foo send plaintext and are reset', async () => {
    const run = await diff('-f', B, '--what-if', 'automtls=off', '-o', 'json');
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout);
    expect(out.whatIf).toBe('auto mTLS off');
    expect(out.broken).toContainEqual(
      expect.objectContaining({
        from: 'bar/curl',
        to: 'foo/httpbin:8000',
        reason: 'auto-mtls-disabled',
        client: { proxy: 'sidecar', tls: 'DISABLE' },
      }),
    );
    expect(out.plan).toBeUndefined();
    // The field guide's error 5 is repaired by the reverse.
    const on = await diff(
      '-f',
      `${GUIDE}/error5-with-strict-service.yaml`,
      '--what-if',
      'automtls=on',
      '-o',
      'json',
    );
    expect(on.code).toBe(0);
    expect(JSON.parse(on.stdout).repaired.map((p: { to: string }) => p.to)).toEqual([
      'shop/cart:80',
      'shop/cart:80',
    ]);
  });

  it('host=… tls=DISABLE breaks the STRICT service; tls=ISTIO_MUTUAL resolves the field guide’s error 2', async () => {
    const fqdn = await diff(
      '-f',
      B,
      '--what-if',
      'host=httpbin.foo.svc.cluster.local tls=DISABLE',
      '-o',
      'json',
    );
    const short = await diff('-f', B, '--what-if', 'host=httpbin namespace=foo tls=DISABLE', '-o', 'json');
    expect(fqdn.code).toBe(1);
    const calls = (run: { stdout: string }) =>
      JSON.parse(run.stdout).broken.map(
        (p: { from: string; to: string; reason: string }) => `${p.from} -> ${p.to} ${p.reason}`,
      );
    expect(calls(fqdn)).toEqual([
      'bar/curl -> foo/httpbin:8000 destinationrule-tls-conflict',
      'bar/httpbin -> foo/httpbin:8000 destinationrule-tls-conflict',
      'foo/curl -> foo/httpbin:8000 destinationrule-tls-conflict',
      'foo/httpbin -> foo/httpbin:8000 destinationrule-tls-conflict',
    ]);
    expect(calls(short)).toEqual(calls(fqdn));
    expect(JSON.parse(fqdn.stdout).changed).toEqual([
      expect.objectContaining({
        kind: 'DestinationRule',
        namespace: 'foo',
        name: 'whatif-httpbin-foo-svc-cluster-local',
        change: 'added',
      }),
    ]);
    const fix = await diff(
      '-f',
      `${GUIDE}/error2-dr-mismatch.yaml`,
      '--what-if',
      'host=my-service namespace=default tls=ISTIO_MUTUAL',
      '-o',
      'json',
    );
    expect(fix.code).toBe(0);
    const fixed = JSON.parse(fix.stdout);
    expect(fixed.findings.resolved.map((f: { code: string }) => f.code)).toEqual([
      'destinationrule-tls-conflict',
    ]);
    expect(fixed.changed).toEqual([expect.objectContaining({ name: 'my-service-dr', change: 'modified' })]);
  });

  it('what-ifs it cannot read: exit 2 with the reason', async () => {
    for (const [change, message] of [
      ['automtls=maybe', 'automtls "maybe" is not on or off'],
      ['automtls=on mode=STRICT', 'automtls= stands alone'],
      ['namespace=foo ns=bar mode=STRICT', 'namespace is given twice'],
      ['host=httpbin tls=DISABLE', 'host "httpbin" is a short name: add namespace=NS'],
      ['host=bad_host tls=DISABLE namespace=foo', '"bad_host" is not a host name'],
      ['host=httpbin.foo tls=OFF', 'tls "OFF" is not one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL'],
      [
        'host=checkout namespace=foo tls=SIMPLE',
        'host "checkout.foo.svc.cluster.local" is no Service, ServiceEntry or DestinationRule host in the input',
      ],
    ] as const) {
      const run = await diff('-f', B, '--what-if', change);
      expect(run.code, change).toBe(2);
      expect(run.stderr, change).toContain(`--what-if: ${message}`);
    }
  });
});

describe('mtls-doctor diff --base-ref', () => {
  const repo = mkdtempSync(join(tmpdir(), 'mtls-doctor-diff-git-'));
  afterAll(() => rmSync(repo, { recursive: true, force: true }));
  const git = gitIn(repo);

  it('reads the -f paths at the ref; locations name the working-tree file', async () => {
    mkdirSync(join(repo, 'mesh'));
    cpSync(A, join(repo, 'mesh', 'cluster.yaml'));
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-qm', 'setup');
    writeFileSync(join(repo, 'mesh', 'cluster.yaml'), readFileSync(B));
    const run = await runCli(['diff', '--base-ref', 'main', '-f', 'mesh', '-o', 'sarif'], {
      cwd: repo,
      now: NOW,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const results = JSON.parse(run.stdout).runs[0].results;
    expect(
      results.map((r: { locations: { physicalLocation: unknown }[] }) => r.locations[0]?.physicalLocation),
    ).toEqual([
      { artifactLocation: { uri: 'mesh/cluster.yaml' }, region: { startLine: 267 } },
      { artifactLocation: { uri: 'mesh/cluster.yaml' }, region: { startLine: 267 } },
    ]);
  });

  it('an unknown ref or a folder outside git: exit 2 with the reason', async () => {
    const run = await runCli(['diff', '--base-ref', 'origin/nope', '-f', 'mesh'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--base-ref origin/nope: no such commit in this repository');
    const outside = mkdtempSync(join(tmpdir(), 'mtls-doctor-no-git-'));
    try {
      const none = await runCli(['diff', '--base-ref', 'main', '-f', '.'], { cwd: outside });
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('--base-ref needs a git checkout');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a folder the pull request adds is compared with an empty base; a mistyped -f is named', async () => {
    mkdirSync(join(repo, 'newmesh'));
    cpSync(B, join(repo, 'newmesh', 'cluster.yaml'));
    const run = await runCli(['diff', '--base-ref', 'main', '-f', 'newmesh', '-o', 'json'], {
      cwd: repo,
      now: NOW,
    });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout);
    // Nothing worked before it existed: nothing breaks, and every object is added. Its plaintext
    // client fails the STRICT namespace from the start, and that stops the gate as a break would.
    expect(result.broken).toEqual([]);
    expect(result.newFailing.map((p: { from: string; to: string }) => `${p.from} -> ${p.to}`)).toEqual([
      'legacy/curl -> foo/curl:80',
      'legacy/curl -> foo/httpbin:8000',
    ]);
    expect(result.changed.length).toBeGreaterThan(0);
    expect(result.changed.every((c: { change: string }) => c.change === 'added')).toBe(true);
    expect(run.code).toBe(1);

    const typo = await runCli(['diff', '--base-ref', 'main', '-f', 'mehs'], { cwd: repo });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('mehs');
    expect(typo.stderr).not.toMatch(/no Kubernetes objects in\s*$/m);
  });

  it('an unwritable temporary folder is one line naming TMPDIR, not a stack trace', async () => {
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(repo, 'no-such-folder');
    const run = await runCli(['diff', '--base-ref', 'main', '-f', 'mesh'], { cwd: repo }).finally(() => {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not writable (ENOENT): set TMPDIR to a writable folder');
    expect(run.stderr).not.toContain('    at ');
  });
});
