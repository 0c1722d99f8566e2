// One set of Kubernetes objects answered two ways through the real CLI: read from a loopback API server
// (`--kubeconfig`) and read from a file (`-f`). Live-reader tests compare the two answers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daysFrom, issueCertificate } from './certs.js';
import { FakeKubeApi } from './fake-kube-api.js';
import { kubeconfigFile } from './payments-cluster.js';
import { runCli } from './run-cli.js';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

export const NOW = new Date('2026-11-29T00:00:00Z');

/** A valid root for istiod's `istio-ca-root-cert` ConfigMaps (a live read looks for them). */
export const ROOT_CERT = issueCertificate({
  commonName: 'root',
  isCa: true,
  notBefore: daysFrom(NOW, -1),
  notAfter: daysFrom(NOW, 3650),
});

/** The `istio-ca-root-cert` ConfigMap istiod writes into a namespace, holding ROOT_CERT. */
export function caRootConfigMap(namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'istio-ca-root-cert', namespace },
    data: { 'root-cert.pem': ROOT_CERT.pem },
  };
}

export interface Answer<J> {
  readonly code: number;
  readonly json: J;
}

/** A finding in `check -o json`, as far as live-vs-file comparisons read it. */
export type FindingJson = { code: string; message: string; why?: string[]; resource: unknown };

/** What the findings say, without where they came from (a file's line, or the cluster). */
export const findingsSaid = (a: Answer<{ findings?: FindingJson[] }>) =>
  (a.json.findings ?? []).map((f) => ({
    code: f.code,
    message: f.message,
    why: f.why,
    resource: f.resource,
  }));

const jsonArgs = (command: string) => ['-o', 'json', ...(command === 'check' ? ['--no-istioctl'] : [])];

/** `<command> -o json` on the objects served by a loopback API (`serve` may add faults); the server stops after. */
export async function answerLive<J>(
  objects: readonly KubeObject[],
  command: 'check' | 'matrix',
  serve: (api: FakeKubeApi) => void = () => {},
): Promise<Answer<J>> {
  const fake = new FakeKubeApi().add(...structuredClone(objects as KubeObject[]));
  serve(fake);
  try {
    const config = kubeconfigFile(await fake.start());
    const run = await runCli([command, '--kubeconfig', config, ...jsonArgs(command)], { now: NOW });
    if (!run.stdout) throw new Error(`${command} printed nothing: ${run.stderr}`);
    return { code: run.code, json: JSON.parse(run.stdout) as J };
  } finally {
    await fake.stop();
  }
}

/** `<command> -f <file> -o json` on the same objects written to a file as a List. */
export async function answerFromFile<J>(
  objects: readonly KubeObject[],
  command: 'check' | 'matrix',
): Promise<Answer<J>> {
  const file = join(mkdtempSync(join(tmpdir(), 'mtls-doctor-mesh-')), 'mesh.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2));
  const run = await runCli([command, '-f', file, ...jsonArgs(command)], { now: NOW });
  if (!run.stdout) throw new Error(`${command} printed nothing: ${run.stderr}`);
  return { code: run.code, json: JSON.parse(run.stdout) as J };
}
