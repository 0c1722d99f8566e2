// `check -o text` as a user copies it: every command block under a plan, pasted into a shell (bash,
// with a fake kubectl on PATH), runs as printed: heredocs end, operands arrive whole, nothing else
// runs. And data from the input cannot send escape sequences to the terminal.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { controlCharacters } from '../helpers/control-chars.js';
import { runInShell, shellSyntaxErrors } from '../helpers/fake-kubectl.js';
import { runCli } from '../helpers/run-cli.js';

const LABEL = "re'$(touch pwned)`touch pwned2`";
const MESH = "# it's off for now\nrootNamespace: istio-system\nenableAutoMtls: false\n";

function manifests(): string {
  const dir = mkdtempSync(join(tmpdir(), 'text-commands-'));
  mkdirSync(join(dir, 'm'));
  writeFileSync(
    join(dir, 'm', 'reports.yaml'),
    `apiVersion: v1
kind: Namespace
metadata: { name: reports, labels: { istio-injection: enabled } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: reports, namespace: reports }
spec:
  selector: { matchLabels: { app: ${JSON.stringify(LABEL)} } }
  template:
    metadata: { labels: { app: ${JSON.stringify(LABEL)} } }
    spec: { containers: [{ name: reports, ports: [{ containerPort: 8080 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: reports, namespace: reports }
spec: { selector: { app: ${JSON.stringify(LABEL)} }, ports: [{ port: 80, targetPort: 8080 }] }
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: { name: default, namespace: reports }
spec: { mtls: { mode: STRICT }, portLevelMtls: { 8080: { mode: DISABLE } } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data:
  mesh: ${JSON.stringify(MESH)}
`,
  );
  return join(dir, 'm');
}

/** The command blocks printed under each plan, as a user copies them: every line up to the next plan or finding. */
function commandBlocks(text: string): string[] {
  const lines = text.split('\n');
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]?.trimStart().startsWith('→ ')) continue;
    const block: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j] ?? '';
      if (line === '' || /^\s*[→●] /.test(line)) break;
      block.push(line);
    }
    blocks.push(block.join('\n'));
  }
  return blocks;
}

describe('check -o text: commands run as printed', () => {
  it('a heredoc block and a JSON patch pasted into bash reach kubectl exactly; nothing else runs', async () => {
    const { stdout } = await runCli(['check', '-f', manifests(), '--no-istioctl']);
    const blocks = commandBlocks(stdout);
    const apply = blocks.find((b) => b.trimStart().startsWith('kubectl create -f - <<'));
    const mesh = blocks.find((b) => b.trimStart().startsWith('kubectl patch configmap'));
    expect(apply).toBeDefined();
    expect(mesh).toBeDefined();
    for (const block of [apply, mesh] as string[]) expect(shellSyntaxErrors(block)).toBe('');

    const run = runInShell(`${apply}\n${mesh}\n`);
    expect(run.stderr).toBe('');
    expect(run.leftovers).toEqual([]);
    expect(run.calls).toHaveLength(2);
    expect(run.calls[0]?.argv).toEqual(['create', '-f', '-']);
    expect(parse(run.calls[0]?.stdin ?? '')).toMatchObject({
      kind: 'PeerAuthentication',
      metadata: { namespace: 'reports' },
      spec: { selector: { matchLabels: { app: LABEL } }, portLevelMtls: { '8080': { mode: 'PERMISSIVE' } } },
    });
    expect(run.calls[1]?.argv.slice(0, 6)).toEqual([
      'patch',
      'configmap',
      'istio',
      '-n',
      'istio-system',
      '--type=json',
    ]);
    expect(JSON.parse(run.calls[1]?.argv[7] ?? '')).toEqual([
      { op: 'test', path: '/data/mesh', value: MESH },
      {
        op: 'replace',
        path: '/data/mesh',
        value: MESH.replace('enableAutoMtls: false', 'enableAutoMtls: true'),
      },
    ]);
  });
});

describe('text output carries no control characters', () => {
  const ESC_HOST = 'pay\u001b[8m.hidden\u001b[0m\u009b2J\u202e.shop.svc.cluster.local';
  const file = () => {
    const dir = mkdtempSync(join(tmpdir(), 'text-escape-'));
    writeFileSync(
      join(dir, 'dr.yaml'),
      `apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: Service
metadata: { name: pay, namespace: shop }
spec: { selector: { app: pay }, ports: [{ port: 80 }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: pay, namespace: shop }
spec: { host: ${JSON.stringify(ESC_HOST)}, trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }
`,
    );
    return join(dir, 'dr.yaml');
  };

  it('an escape sequence in a host is stripped from -o text, kept (escaped) in -o json and SARIF', async () => {
    const path = file();
    const text = await runCli(['check', '-f', path, '--no-istioctl', '-v']);
    expect(text.stdout).toContain('destinationrule-host-not-found');
    expect(text.stdout).toContain('pay.hidden.shop.svc.cluster.local');
    expect(controlCharacters(text.stdout)).toEqual([]);
    const json = await runCli(['check', '-f', path, '--no-istioctl', '-o', 'json']);
    expect(json.stdout).toContain('\\u001b[8m');
    expect(JSON.parse(json.stdout).findings[0].message).toContain(ESC_HOST);
    const sarif = await runCli(['check', '-f', path, '--no-istioctl', '-o', 'sarif']);
    expect(JSON.parse(sarif.stdout).runs[0].results[0].message.text).toContain(ESC_HOST);
  });
});
