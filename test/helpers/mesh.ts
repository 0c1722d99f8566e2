import { diagnose } from '../../src/engine/diagnose.js';
import { buildMatrix } from '../../src/engine/matrix.js';
import { ResolvedMesh } from '../../src/mesh/resolve.js';
import { buildSnapshot } from '../../src/snapshot/build-snapshot.js';
import { parseManifestText } from '../../src/snapshot/read-manifests.js';
import type { MeshSnapshot } from '../../src/snapshot/types.js';

export function snapshotOf(yaml: string): MeshSnapshot {
  return buildSnapshot(parseManifestText(yaml, 'test.yaml'));
}

export function meshOf(yaml: string): ResolvedMesh {
  return new ResolvedMesh(snapshotOf(yaml));
}

export function codesOf(yaml: string, now = new Date('2026-11-29T00:00:00Z')): string[] {
  return diagnose(snapshotOf(yaml), { now }).findings.map((f) => f.code);
}

/** outcome of every pair as "from -> to: ok|fail(reason)" for compact assertions */
export function matrixOf(yaml: string, namespace?: string): Map<string, string> {
  const mesh = meshOf(yaml);
  const result = buildMatrix(mesh, namespace);
  return new Map(
    result.pairs.map((p) => [`${p.from} -> ${p.to}`, p.outcome === 'ok' ? 'ok' : `fail(${p.reason})`]),
  );
}

/** YAML for a namespace, optionally injected or ambient. */
export function namespace(name: string, mode: 'sidecar' | 'ambient' | 'none' = 'sidecar'): string {
  const labels =
    mode === 'sidecar'
      ? '\n  labels:\n    istio-injection: enabled'
      : mode === 'ambient'
        ? '\n  labels:\n    istio.io/dataplane-mode: ambient'
        : '';
  return `---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}${labels}\n`;
}

/** A Deployment + Service pair: Service `port` → container `targetPort`. */
export function app(
  ns: string,
  name: string,
  opts: {
    port?: number;
    targetPort?: number;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    headless?: boolean;
  } = {},
): string {
  const port = opts.port ?? 80;
  const targetPort = opts.targetPort ?? 8080;
  const labels = { app: name, ...(opts.labels ?? {}) };
  const labelYaml = Object.entries(labels)
    .map(([k, v]) => `        ${k}: "${v}"`)
    .join('\n');
  const annotations = opts.annotations
    ? `\n      annotations:\n${Object.entries(opts.annotations)
        .map(([k, v]) => `        ${k}: "${v}"`)
        .join('\n')}`
    : '';
  return `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
${labelYaml}${annotations}
    spec:
      serviceAccountName: ${name}
      containers:
        - name: ${name}
          image: example/${name}
          ports:
            - containerPort: ${targetPort}
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    app: ${name}${opts.headless ? '\n  clusterIP: None' : ''}
  ports:
    - name: http
      port: ${port}
      targetPort: ${targetPort}
`;
}

/**
 * One Service `name` (port 80 → 8080) over a Deployment per version (`name-v1`, `name-v2`, labelled
 * app=name, version=v): calls to the Service are balanced over every version's pods.
 */
export function versionedApp(ns: string, name: string, versions: readonly string[]): string {
  const deployments = versions.map(
    (v) => `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}-${v}, namespace: ${ns} }
spec:
  selector: { matchLabels: { app: ${name}, version: ${v} } }
  template:
    metadata: { labels: { app: ${name}, version: ${v} } }
    spec: { containers: [{ name: ${name}, image: example/${name}, ports: [{ containerPort: 8080 }] }] }
`,
  );
  return `${deployments.join('')}---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${ns} }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`;
}

export function peerAuthentication(
  ns: string,
  name: string,
  mode: string | undefined,
  extra: { selector?: Record<string, string>; ports?: Record<number, string>; created?: string } = {},
): string {
  const selector = extra.selector
    ? `\n  selector:\n    matchLabels:\n${Object.entries(extra.selector)
        .map(([k, v]) => `      ${k}: ${v}`)
        .join('\n')}`
    : '';
  const ports = extra.ports
    ? `\n  portLevelMtls:\n${Object.entries(extra.ports)
        .map(([p, m]) => `    ${p}:\n      mode: ${m}`)
        .join('\n')}`
    : '';
  const created = extra.created ? `\n  creationTimestamp: "${extra.created}"` : '';
  const mtls = mode ? `\n  mtls:\n    mode: ${mode}` : '';
  return `---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: ${name}\n  namespace: ${ns}${created}\nspec:${selector}${mtls}${ports}${!selector && !mtls && !ports ? ' {}' : ''}\n`;
}

export function destinationRule(
  ns: string,
  name: string,
  host: string,
  tlsMode?: string,
  extra = '',
): string {
  const tls = tlsMode ? `\n  trafficPolicy:\n    tls:\n      mode: ${tlsMode}` : '';
  return `---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  host: "${host}"${tls}${extra}\n`;
}

export function meshConfig(mesh: string): string {
  return `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |-\n${mesh
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n`;
}

export function authorizationPolicy(ns: string, name: string, spec: string, meta = ''): string {
  return `---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: ${name}\n  namespace: ${ns}${meta}\nspec:\n${spec}\n`;
}
