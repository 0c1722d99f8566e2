// Bad or unusual manifest input through the CLI: one clear line and exit 2, never a false all-clear.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { runCli } from '../helpers/run-cli.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const ENTRY = 'test/snapshot/cli-entry.ts';

const check = (dir: string, ...argv: string[]) => runCli(['check', '--no-istioctl', ...argv], { cwd: dir });

/** The CLI as a real process, from source (stdin, environment, terminals). */
function runProcess(argv: string[], input = '', env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...argv], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mtls-doctor-input-'));
}

const PA = (name: string, mode: string, namespace = 'shop') => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  mtls:
    mode: ${mode}
`;

describe('input without objects', () => {
  it('an empty directory or an empty file is "no Kubernetes objects", exit 2', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'empty.yaml'), '# nothing yet\n---\n');
    for (const path of ['empty', 'empty.yaml']) {
      const { code, stdout, stderr } = await check(dir, '-f', join(dir, path));
      expect(code).toBe(EXIT.usage);
      expect(stderr).toBe(`mtls-doctor: no Kubernetes objects in ${path}\n`);
      expect(stdout).not.toContain('No mTLS problems');
    }
  });

  it('nothing on stdin is "no Kubernetes objects in <stdin>", exit 2', () => {
    const { code, stderr } = runProcess(['check', '--no-istioctl', '-f', '-'], '');
    expect(code).toBe(EXIT.usage);
    expect(stderr).toBe('mtls-doctor: no Kubernetes objects in <stdin>\n');
  }, 60_000);
});

describe('symbolic links', () => {
  it('follows links to files and directories, and a link back to a parent does not loop', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'elsewhere', 'policies'), { recursive: true });
    writeFileSync(join(dir, 'elsewhere', 'shop.yaml'), PA('default', 'STRICT'));
    writeFileSync(join(dir, 'elsewhere', 'policies', 'pay.yaml'), PA('default', 'STRICT', 'pay'));
    mkdirSync(join(dir, 'input'));
    symlinkSync(join(dir, 'elsewhere', 'shop.yaml'), join(dir, 'input', 'shop.yaml'));
    symlinkSync(join(dir, 'elsewhere', 'policies'), join(dir, 'input', 'policies'));
    symlinkSync(join(dir, 'input'), join(dir, 'input', 'loop'));
    const { code, stdout } = await check(dir, '-f', join(dir, 'input'), '-o', 'json');
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(stdout).summary.source.objects).toBe(2);
  });
});

describe('malformed YAML', () => {
  it('an alias bomb on stdin is one line naming it, exit 2', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const [self, prev] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
      lines.push(`${self}: &${self} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const { code, stderr } = runProcess(['check', '--no-istioctl', '-f', '-'], `${lines.join('\n')}\n`);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toMatch(/^mtls-doctor: <stdin>:1: invalid YAML: [^\n]*alias[^\n]*\n$/);
  }, 60_000);

  it('a duplicate key is an error at its line, in YAML and in JSON', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'dup.yaml'), PA('default', 'STRICT').replace('spec:', 'spec: {}\nspec:'));
    writeFileSync(
      join(dir, 'dup.json'),
      '{"apiVersion": "v1", "kind": "Namespace",\n "metadata": {"name": "a",\n "name": "b"}}\n',
    );
    const yaml = await check(dir, '-f', join(dir, 'dup.yaml'));
    expect(yaml.code).toBe(EXIT.usage);
    expect(yaml.stderr).toMatch(/^mtls-doctor: dup\.yaml:7: invalid YAML: duplicated mapping key/);
    const json = await check(dir, '-f', join(dir, 'dup.json'));
    expect(json.code).toBe(EXIT.usage);
    expect(json.stderr).toMatch(/^mtls-doctor: dup\.json:3: invalid YAML: duplicated mapping key/);
  });
});

describe('large input', () => {
  it('reads a JSON List of 200,000 objects', async () => {
    const dir = tempDir();
    const items = Array.from({ length: 200_000 }, (_, i) => ({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: `w${i}`, namespace: 'shop' },
    }));
    items.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } } as (typeof items)[0]);
    writeFileSync(join(dir, 'big.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    const { code, stdout, stderr } = await check(dir, '-f', join(dir, 'big.json'), '-o', 'json');
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(stdout).summary.source.objects).toBe(200_001);
  }, 120_000);
});

describe('one object given twice', () => {
  it('identical copies are merged: no conflict of a policy with itself', async () => {
    const once = await check(ROOT, '-f', 'examples/mesh', '-o', 'json');
    const twice = await check(ROOT, '-f', 'examples/mesh', '-f', 'examples/mesh/catalog', '-o', 'json');
    expect(twice.stderr).toBe('');
    expect(JSON.parse(twice.stdout).findings).toEqual(JSON.parse(once.stdout).findings);
    expect(JSON.parse(twice.stdout).summary.source).toEqual(JSON.parse(once.stdout).summary.source);
  });

  it('two different objects with one identity: a warning naming both, and the later one wins', async () => {
    const dir = tempDir();
    const mesh = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: legacy}
spec:
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: client}]}
`;
    writeFileSync(join(dir, 'base.yaml'), `${mesh}---\n${PA('default', 'STRICT')}`);
    writeFileSync(join(dir, 'overlay.yaml'), `# overlay\n${PA('default', 'PERMISSIVE')}`);
    const text = await check(dir, '-f', join(dir, 'base.yaml'), '-f', join(dir, 'overlay.yaml'));
    expect(text.stderr).toBe(
      'mtls-doctor: warning: PeerAuthentication shop/default is given twice with different content (base.yaml:26 and overlay.yaml:2): using overlay.yaml:2, the later one, as kubectl apply would\n',
    );
    const json = await check(
      dir,
      '-f',
      join(dir, 'base.yaml'),
      '-f',
      join(dir, 'overlay.yaml'),
      '-o',
      'json',
    );
    const result = JSON.parse(json.stdout);
    expect(result.summary.source.warnings).toEqual([
      {
        message: expect.stringContaining('PeerAuthentication shop/default is given twice'),
        locations: [
          { file: 'base.yaml', line: 26 },
          { file: 'overlay.yaml', line: 2 },
        ],
      },
    ]);
    // STRICT (base) would break the plaintext client; PERMISSIVE (overlay) is what applies.
    const strictOnly = await check(dir, '-f', join(dir, 'base.yaml'), '-o', 'json');
    expect(JSON.parse(strictOnly.stdout).findings.map((f: { code: string }) => f.code)).toContain(
      'strict-plaintext-clients',
    );
    expect(result.findings.map((f: { code: string }) => f.code)).not.toContain('strict-plaintext-clients');
    expect(result.summary.source.objects).toBe(5);
  });
});

describe('names validated as Kubernetes does', () => {
  it('a PeerAuthentication named with shell syntax is a manifest error at metadata.name, exit 2', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'pa.yaml'), PA("'default;touch pwned;#'", 'STRICT'));
    const { code, stdout, stderr } = await check(dir, '-f', join(dir, 'pa.yaml'));
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      "mtls-doctor: pa.yaml:4: PeerAuthentication: metadata.name: \"default;touch pwned;#\" is not a valid PeerAuthentication name (an RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)\n",
    );
  });

  it('checks namespaces as labels, Namespace names as labels and Service names as RFC 1035 labels', async () => {
    const dir = tempDir();
    const cases: [string, string, RegExp][] = [
      [
        'ns.yaml',
        PA('default', 'STRICT', '"shop\\e[8m"'),
        /^mtls-doctor: ns\.yaml:5: .*metadata\.namespace: "shop\\u001b\[8m" is not a valid namespace name/,
      ],
      [
        'namespace.yaml',
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop.example\n',
        /^mtls-doctor: namespace\.yaml:4: Namespace: metadata\.name: "shop\.example" is not a valid Namespace name \(an RFC 1123 label/,
      ],
      [
        'svc.yaml',
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: 1web\n  namespace: shop\n',
        /^mtls-doctor: svc\.yaml:4: Service: metadata\.name: "1web" is not a valid Service name \(an RFC 1035 label/,
      ],
      [
        'pod.yaml',
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  namespace: shop\n  ownerReferences:\n  - {kind: StatefulSet, name: "web;id"}\nspec: {containers: [{name: web}]}\n',
        /^mtls-doctor: pod\.yaml:7: StatefulSet: metadata\.ownerReferences\.0\.name: "web;id" is not a valid StatefulSet name/,
      ],
    ];
    for (const [file, text, message] of cases) {
      writeFileSync(join(dir, file), text);
      const { code, stderr } = await check(dir, '-f', join(dir, file));
      expect(code).toBe(EXIT.usage);
      expect(stderr).toMatch(message);
    }
  });
});

describe('progress while reading', () => {
  const argv = ['check', '--no-istioctl', '-f', 'examples/mesh', '-o', 'json'];
  const env = { MTLS_DOCTOR_PROGRESS_AFTER_MS: '0' };

  it('is shown on an interactive terminal', () => {
    const command = ['node', '--import', 'tsx', ENTRY, ...argv].join(' ');
    const result = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    expect(result.stdout).toMatch(/\rreading manifests: \d+ file\(s\), [\d.]+ MB, [\d,]+ objects…/);
  }, 60_000);

  it('is not written when stderr is not a terminal', () => {
    const { stderr } = runProcess(argv, '', env);
    expect(stderr).toBe('');
  }, 60_000);
});

describe('objects meant as a kind the check reads but written so it would skip them', () => {
  const cases: [string, string, string][] = [
    [
      'a misspelled kind',
      PA('default', 'PERMISSIVE').replace('kind: PeerAuthentication', 'kind: Peerauthentication'),
      'bad.yaml:2: Peerauthentication shop/default: kind Peerauthentication is not an Istio kind: did you mean PeerAuthentication?',
    ],
    [
      'a kind under the wrong group',
      PA('default', 'PERMISSIVE').replace('security.istio.io/v1', 'networking.istio.io/v1'),
      'bad.yaml:1: PeerAuthentication shop/default: PeerAuthentication belongs to security.istio.io, not networking.istio.io',
    ],
    [
      'a List inside a List',
      `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n${PA(
        'default',
        'PERMISSIVE',
      )
        .split('\n')
        .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`))
        .join('\n')}`,
      'bad.yaml:5: List (unnamed): a List inside a List: give its items directly',
    ],
  ];
  for (const [what, text, message] of cases)
    it(`${what}: exit 2 at its line, not "no problems" without it`, async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'bad.yaml'), text);
      const { code, stdout, stderr } = await check(dir, '-f', join(dir, 'bad.yaml'));
      expect(stderr).toBe(`mtls-doctor: ${message}\n`);
      expect(code).toBe(EXIT.usage);
      expect(stdout).not.toContain('No mTLS problems');
    });

  it('the same list as JSON is refused the same way', async () => {
    const dir = tempDir();
    const pa = {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default' },
    };
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'List', items: [pa] }] };
    writeFileSync(join(dir, 'nested.json'), JSON.stringify(list, null, 2));
    const { code, stderr } = await check(dir, '-f', join(dir, 'nested.json'));
    expect(stderr).toMatch(/^mtls-doctor: nested\.json:\d+: List \(unnamed\): a List inside a List/);
    expect(code).toBe(EXIT.usage);
  });

  it('kinds the check does not need stay skipped: Telemetry, EnvoyFilter, a Gateway API kind', async () => {
    const dir = tempDir();
    const other = (apiVersion: string, kind: string) =>
      `---\napiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: { name: x, namespace: shop }\nspec: {}\n`;
    writeFileSync(
      join(dir, 'ok.yaml'),
      PA('default', 'STRICT') +
        other('telemetry.istio.io/v1', 'Telemetry') +
        other('networking.istio.io/v1alpha3', 'EnvoyFilter') +
        other('gateway.networking.k8s.io/v1', 'HTTPRoute'),
    );
    const { code, stderr } = await check(dir, '-f', join(dir, 'ok.yaml'));
    expect(stderr).toBe('');
    expect(code).not.toBe(EXIT.usage);
  });
});

describe('label and annotation values that are not strings', () => {
  it('`v: 1.10` is refused at its line (read as a number it would be "1.1" and match another selector)', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'app.yaml'),
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: cart, namespace: shop }
spec:
  selector: { matchLabels: { app: cart } }
  template:
    metadata:
      labels:
        app: cart
        v: 1.10
    spec: { containers: [{ name: c, image: x }] }
`,
    );
    const { code, stderr } = await check(dir, '-f', join(dir, 'app.yaml'));
    expect(stderr).toBe(
      'mtls-doctor: app.yaml:10: Deployment shop/cart: spec.template.metadata.labels.v: Invalid input: expected string, received number\n',
    );
    expect(code).toBe(EXIT.usage);
  });
});
