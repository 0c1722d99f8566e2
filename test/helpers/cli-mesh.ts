// Runs `matrix -o json` and `check -o json` on a YAML mesh written to a temporary file, the way a user
// would, and returns the parsed answers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

export interface MatrixPair {
  readonly from: string;
  readonly to: string;
  readonly outcome: 'ok' | 'fail';
  readonly reason: string;
  readonly client: { readonly proxy: string; readonly tls: string };
  readonly server: { readonly proxy: string; readonly mode: string };
  readonly symptom: string;
}

export interface CheckFinding {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
  readonly why?: readonly string[];
  readonly fix?: string;
  readonly resource: { readonly kind: string; readonly namespace?: string; readonly name: string };
}

function writeMesh(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mtls-doctor-mesh-')), 'mesh.yaml');
  writeFileSync(file, yaml);
  return file;
}

const NOW = new Date('2026-11-29T00:00:00Z');

/** `matrix -f <file> -o json`: the pairs keyed "from -> to", and the exit code. */
export async function matrixJson(yaml: string): Promise<{ code: number; pairs: Map<string, MatrixPair> }> {
  const { code, stdout, stderr } = await runCli(['matrix', '-f', writeMesh(yaml), '-o', 'json'], {
    now: NOW,
  });
  if (!stdout) throw new Error(`matrix printed nothing: ${stderr}`);
  const pairs = (JSON.parse(stdout) as { pairs: MatrixPair[] }).pairs;
  return { code, pairs: new Map(pairs.map((p) => [`${p.from} -> ${p.to}`, p])) };
}

/** `check -f <file> -o json --no-istioctl`: the findings and the exit code. */
export async function checkJson(yaml: string): Promise<{ code: number; findings: CheckFinding[] }> {
  const { code, stdout, stderr } = await runCli(
    ['check', '-f', writeMesh(yaml), '-o', 'json', '--no-istioctl'],
    { now: NOW },
  );
  if (!stdout) throw new Error(`check printed nothing: ${stderr}`);
  return { code, findings: (JSON.parse(stdout) as { findings: CheckFinding[] }).findings };
}

/** "ok" or "fail(<reason>)/<tls>" for compact assertions. */
export function brief(pair: MatrixPair | undefined): string | undefined {
  if (!pair) return undefined;
  return `${pair.outcome === 'ok' ? 'ok' : `fail(${pair.reason})`}/${pair.client.tls}`;
}

/** `check -f <file> -o sarif --no-istioctl`: the SARIF rules and results of the one run. */
export async function checkSarif(yaml: string): Promise<{
  rules: { id: string; shortDescription: { text: string } }[];
  results: { ruleId: string; locations: { physicalLocation?: { region: { startLine: number } } }[] }[];
}> {
  const { stdout, stderr } = await runCli(['check', '-f', writeMesh(yaml), '-o', 'sarif', '--no-istioctl'], {
    now: NOW,
  });
  if (!stdout) throw new Error(`check printed nothing: ${stderr}`);
  const run = JSON.parse(stdout).runs[0];
  return { rules: run.tool.driver.rules, results: run.results };
}
