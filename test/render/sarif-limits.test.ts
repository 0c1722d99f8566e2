// GitHub code scanning rejects a SARIF run of more than 25,000 results: `diff -o sarif` of a change
// that breaks more calls keeps 25,000 and says how many it left out, instead of an upload GitHub refuses.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Result } from 'sarif';
import { afterAll, describe, expect, it } from 'vitest';
import { capSarifResults, SARIF_MAX_RESULTS } from '../../src/render/sarif-limits.js';
import { runCli } from '../helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-sarif-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 160 plaintext clients in `legacy` × 160 sidecar services in `shop`: `shop` going STRICT breaks 25,600 calls.
function mesh(strict: boolean): string {
  const docs = [
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: istio-system}',
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: legacy}',
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}',
  ];
  for (let i = 0; i < 160; i++) {
    for (const ns of ['legacy', 'shop']) {
      docs.push(
        `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-${i}, namespace: ${ns}}\nspec:\n  selector: {matchLabels: {app: app-${i}}}\n  template:\n    metadata: {labels: {app: app-${i}}}\n    spec: {containers: [{name: app, image: app, ports: [{containerPort: 8080}]}]}`,
      );
    }
    docs.push(
      `apiVersion: v1\nkind: Service\nmetadata: {name: app-${i}, namespace: shop}\nspec: {selector: {app: app-${i}}, ports: [{name: http, port: 80, targetPort: 8080}]}`,
    );
  }
  if (strict)
    docs.push(
      'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: shop}\nspec: {mtls: {mode: STRICT}}',
    );
  return `${docs.join('\n---\n')}\n`;
}

describe('SARIF within GitHub code scanning limits', () => {
  it('diff -o sarif keeps 25,000 of 25,600 broken calls and names the 600 left out', async () => {
    writeFileSync(join(dir, 'before.yaml'), mesh(false));
    writeFileSync(join(dir, 'after.yaml'), mesh(true));
    const run = await runCli([
      'diff',
      '--base',
      join(dir, 'before.yaml'),
      '-f',
      join(dir, 'after.yaml'),
      '-o',
      'sarif',
    ]);
    expect(run.code).toBe(1);
    const sarifRun = JSON.parse(run.stdout).runs[0];
    expect(sarifRun.results).toHaveLength(SARIF_MAX_RESULTS);
    expect(sarifRun.invocations[0].toolExecutionNotifications).toEqual([
      expect.objectContaining({
        level: 'warning',
        message: {
          text: expect.stringMatching(/^600 of 25600 results left out: .*`diff -o json` lists them all\.$/),
        },
      }),
    ]);
  }, 120_000);

  it('keeps the most severe results first, in their original order', () => {
    const results: Result[] = ['note', 'error', 'warning', 'error', 'note'].map((level, i) => ({
      level: level as Result['level'],
      message: { text: String(i) },
    }));
    const capped = capSarifResults(results, 'the JSON output', 3);
    expect(capped.results.map((r) => r.message.text)).toEqual(['1', '2', '3']);
    expect(capped.notifications[0]?.message.text).toMatch(/^2 of 5 results left out/);
    expect(capSarifResults(results, 'x', 5)).toEqual({ results, notifications: [] });
  });
});
