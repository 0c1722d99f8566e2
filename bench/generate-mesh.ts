// Synthetic meshes for the benchmark: realistic shapes (injected and legacy namespaces, namespace and
// workload policies with port exceptions, exact and wildcard DestinationRules with port-level settings,
// external ServiceEntries), scaled by a factor. Deterministic: the same scale gives the same YAML.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface MeshScale {
  readonly namespaces: number;
  readonly workloadsPerNamespace: number;
  readonly peerAuthentications: number;
  readonly destinationRules: number;
  readonly serviceEntries: number;
}

/** The reference size: 200 namespaces, 5,000 workloads and services, 1,000 PAs, 2,000 DRs, 200 SEs. */
export const BASE_SCALE: MeshScale = {
  namespaces: 200,
  workloadsPerNamespace: 25,
  peerAuthentications: 1000,
  destinationRules: 2000,
  serviceEntries: 200,
};

export function scaled(scale: MeshScale, factor: number): MeshScale {
  return {
    namespaces: scale.namespaces * factor,
    workloadsPerNamespace: scale.workloadsPerNamespace,
    peerAuthentications: scale.peerAuthentications * factor,
    destinationRules: scale.destinationRules * factor,
    serviceEntries: scale.serviceEntries * factor,
  };
}

/** One YAML text per namespace (plus istio-system), like a directory of manifests. */
export function generateMesh(scale: MeshScale): Map<string, string> {
  const files = new Map<string, string>();
  const per = (total: number) => Math.max(1, Math.round(total / scale.namespaces));
  const pasPerNs = per(scale.peerAuthentications);
  const drsPerNs = per(scale.destinationRules);
  const sesPerNs = per(scale.serviceEntries);
  files.set(
    'istio-system.yaml',
    docs([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio', namespace: 'istio-system' },
        data: { mesh: 'enableAutoMtls: true\nrootNamespace: istio-system\n' },
      },
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name: 'default', namespace: 'istio-system' },
        spec: { mtls: { mode: 'PERMISSIVE' } },
      },
    ]),
  );
  for (let n = 0; n < scale.namespaces; n++) {
    const ns = `team-${n}`;
    const legacy = n % 10 === 9;
    const objects: object[] = [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, labels: legacy ? {} : { 'istio-injection': 'enabled' } },
      },
    ];
    for (let w = 0; w < scale.workloadsPerNamespace; w++) {
      const name = `svc-${w}`;
      objects.push(deployment(ns, name), service(ns, name, w % 5 === 0));
    }
    // Policies: one namespace-wide, the rest selector policies, some with a port exception.
    objects.push(pa(ns, 'default', n % 3 === 0 ? 'STRICT' : 'PERMISSIVE'));
    for (let p = 1; p < pasPerNs; p++) {
      objects.push(
        pa(
          ns,
          `svc-${p}-policy`,
          p % 2 ? 'STRICT' : 'PERMISSIVE',
          { app: `svc-${p}` },
          p % 3 === 0 ? 8080 : undefined,
        ),
      );
    }
    // DestinationRules: one wildcard for the namespace, exact hosts for own services, and a few for
    // services of the next namespace (the client-namespace override case).
    objects.push(dr(ns, 'namespace-mtls', `*.${ns}.svc.cluster.local`, 'ISTIO_MUTUAL'));
    for (let d = 1; d < drsPerNs; d++) {
      const crossNamespace = d % 4 === 0;
      const host = crossNamespace
        ? `svc-${d}.team-${(n + 1) % scale.namespaces}.svc.cluster.local`
        : `svc-${d}`;
      objects.push(
        dr(
          ns,
          `dr-${d}`,
          host,
          d % 7 === 0 ? 'DISABLE' : d % 5 === 0 ? undefined : 'ISTIO_MUTUAL',
          d % 3 === 0,
        ),
      );
    }
    for (let e = 0; e < sesPerNs; e++) {
      objects.push({
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: `external-${e}`, namespace: ns },
        spec: {
          hosts: [`api-${n}-${e}.example.com`],
          ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }],
          location: 'MESH_EXTERNAL',
          resolution: 'DNS',
        },
      });
    }
    files.set(`${ns}.yaml`, docs(objects));
  }
  return files;
}

function docs(objects: object[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

function deployment(ns: string, name: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, version: 'v1' } },
        spec: {
          serviceAccountName: name,
          containers: [
            {
              name,
              image: `registry.example.com/${name}:1.0.0`,
              ports: [
                { containerPort: 8080, name: 'http' },
                { containerPort: 9090, name: 'metrics' },
              ],
              readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
            },
          ],
        },
      },
    },
  };
}

function service(ns: string, name: string, twoPorts: boolean): object {
  const ports = [{ name: 'http', port: 80, targetPort: 8080 }];
  if (twoPorts) ports.push({ name: 'http-metrics', port: 9090, targetPort: 9090 });
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { selector: { app: name }, ports },
  };
}

function pa(
  ns: string,
  name: string,
  mode: string,
  selector?: Record<string, string>,
  exceptionPort?: number,
): object {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace: ns },
    spec: {
      ...(selector ? { selector: { matchLabels: selector } } : {}),
      mtls: { mode },
      ...(exceptionPort ? { portLevelMtls: { [exceptionPort]: { mode: 'PERMISSIVE' } } } : {}),
    },
  };
}

function dr(ns: string, name: string, host: string, mode: string | undefined, portLevel = false): object {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace: ns },
    spec: {
      host,
      trafficPolicy: {
        ...(mode ? { tls: { mode } } : {}),
        ...(portLevel
          ? { portLevelSettings: [{ port: { number: 9090 }, tls: { mode: 'ISTIO_MUTUAL' } }] }
          : {}),
      },
    },
  };
}

/** Writes the mesh of `scale` into `dir`, one file per namespace, as `generateMesh` names them. */
export function writeMesh(dir: string, scale: MeshScale): void {
  for (const [file, text] of generateMesh(scale)) writeFileSync(join(dir, file), text);
}
