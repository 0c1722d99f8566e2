// deploy/: every manifest validates against the Kubernetes schemas (kubernetes-models), the base grants
// exactly the read-only API calls the code makes, and each opt-in component adds exactly its own rules.
// The calls are recorded from the real cluster reader and the real remediation code against a loopback
// API server, then checked against the RBAC rules the way the API server's authorizer does.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Watch } from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { applyPlan, rollback } from '../../src/remediation/apply.js';
import {
  createNamespaceDestinationRule,
  createNamespacePolicy,
  enableAutoMtls,
  labelNamespaceForInjection,
  type RemediationPlan,
  restartWorkload,
  setDestinationRuleTls,
  setPeerAuthenticationMode,
} from '../../src/remediation/plans.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { ClusterModel } from '../../src/snapshot/live/model.js';
import { type ClusterReadOptions, readClusterSnapshot } from '../../src/snapshot/live/read-cluster.js';
import { AuditLog } from '../../src/store/audit-store.js';
import { FakeKubeApi, type RecordedRequest } from '../helpers/fake-kube-api.js';
import { until as poll } from '../helpers/until.js';

const DEPLOY = new URL('../../deploy/', import.meta.url);
type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
};
type Kustomization = { kind?: string; resources?: string[]; components?: string[] };

function load(path: string): Obj[] {
  return parseAllDocuments(readFileSync(new URL(path, DEPLOY), 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}

/**
 * What `kustomize build` gives for the subset of kustomize deploy/ uses (resources: files and
 * directories; components), without needing kustomize installed. Checked against `kubectl kustomize`
 * below when kubectl is on PATH.
 */
function build(dir: string, extraComponents: string[] = []): Obj[] {
  const k = load(`${dir}/kustomization.yaml`)[0] as unknown as Kustomization;
  const resolve = (p: string) => new URL(`${p}/`, new URL(`${dir}/`, DEPLOY)).href.slice(DEPLOY.href.length);
  const objects: Obj[] = [];
  for (const r of k.resources ?? []) {
    const path = resolve(r).replace(/\/$/, '');
    objects.push(...(existsSync(new URL(`${path}/kustomization.yaml`, DEPLOY)) ? build(path) : load(path)));
  }
  for (const c of [...(k.components ?? []).map((c) => resolve(c)), ...extraComponents]) {
    const component = load(`${c.replace(/\/$/, '')}/kustomization.yaml`)[0] as unknown as Kustomization;
    expect(component.kind, `${c} is a kustomize Component`).toBe('Component');
    objects.push(...build(c.replace(/\/$/, '')));
  }
  return objects;
}

const base = build('base');
const withCaSecret = build('base', ['components/ca-secret']);
const withIstioctl = build('base', ['components/istioctl-certificates']);
const remediateExample = build('overlays/remediate-example');
const ALL_BUILDS = { base, withCaSecret, withIstioctl, remediateExample };
const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  Deployment,
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
};

const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('deploy/', () => {
  it('every object of the base, each component and the example overlay validates against its schema', () => {
    expect(base.length).toBeGreaterThan(8);
    const template = load('components/remediate/namespace-rolebinding.yaml');
    for (const o of [
      ...Object.values(ALL_BUILDS).flat(),
      ...template,
      ...load('base/slack-secret.example.yaml'),
    ]) {
      const Model = MODELS[o.kind];
      expect(Model, `no schema for ${o.kind}`).toBeDefined();
      expect(
        () => new (Model as new (o: Obj) => { validate(): void })(o).validate(),
        `${o.kind} ${o.metadata.name}`,
      ).not.toThrow();
    }
  });

  it.skipIf(!hasKubectl)('the YAML reading above builds what kubectl kustomize builds', () => {
    const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const sorted = (objects: Obj[]) => [...objects].sort((a, b) => key(a).localeCompare(key(b)));
    for (const dir of ['base', 'overlays/remediate-example']) {
      const built = parseAllDocuments(
        execFileSync('kubectl', ['kustomize', new URL(dir, DEPLOY).pathname], { encoding: 'utf8' }),
      ).map((d) => d.toJS() as Obj);
      expect(sorted(built), dir).toEqual(sorted(build(dir)));
    }
  });

  it('the deployment runs as non-root with a read-only root filesystem, probes and resources', () => {
    const d = base.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        template: {
          spec: { containers: Record<string, unknown>[]; securityContext: Record<string, unknown> };
        };
      };
    };
    const pod = d.spec.template.spec;
    // One bot at a time: a rolling update would start a second one beside the first (RWO store volume).
    expect((d.spec as { strategy?: unknown }).strategy).toEqual({ type: 'Recreate' });
    const c = pod.containers[0] as Record<string, { [k: string]: unknown }>;
    // A read-only root still has a writable /tmp (istioctl reads piped manifests from a temporary file).
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz' } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/readyz' } });
    expect(c.resources).toHaveProperty('limits');
    expect(JSON.stringify(c.env)).toContain('secretKeyRef');
    expect(JSON.stringify(c.env)).not.toMatch(/xox[bp]-/);
  });
});

interface Attributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly fieldName?: string;
}

const VERBS: Record<string, string> = { PATCH: 'patch', POST: 'create', PUT: 'update', DELETE: 'delete' };

// RBAC's view of a request (what the API server's authorizer sees); undefined for discovery
// (/api/v1, /apis/<group>/<version>), which every authenticated identity may read.
function attributes(r: RecordedRequest): Attributes | undefined {
  const core = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(r.path);
  const custom = /^\/apis\/([^/]+)\/[^/]+(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(r.path);
  if (!core && !custom) return undefined;
  const [group, namespace, resource, name] = core
    ? ['', core[1], core[2], core[3]]
    : [custom?.[1], custom?.[2], custom?.[3], custom?.[4]];
  const field = r.query.get('fieldSelector');
  return {
    verb: VERBS[r.method] ?? (name ? 'get' : r.query.get('watch') === 'true' ? 'watch' : 'list'),
    group: group as string,
    resource: resource as string,
    // The authorizer treats /api/v1/namespaces/<name> as a request inside namespace <name>.
    namespace: resource === 'namespaces' && name ? name : namespace,
    name,
    fieldName: field?.startsWith('metadata.name=') ? field.slice('metadata.name='.length) : undefined,
  };
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type Grant = { rule: Rule; role: string; binding: Obj };

/** Every rule bound to the bot's service account in these objects, with the binding that grants it. */
function grants(objects: Obj[]): Grant[] {
  const out: Grant[] = [];
  for (const b of objects.filter((o) => o.kind.endsWith('Binding'))) {
    const subjects = b.subjects as { kind: string; name: string; namespace?: string }[];
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === 'mtls-doctor')) continue;
    const ref = b.roleRef as { kind: string; name: string };
    const role = objects.find(
      (o) =>
        o.kind === ref.kind &&
        o.metadata.name === ref.name &&
        (ref.kind === 'ClusterRole' || o.metadata.namespace === b.metadata.namespace),
    );
    if (!role) continue;
    for (const rule of role.rules as Rule[])
      out.push({ rule, role: `${role.kind}/${role.metadata.name}`, binding: b });
  }
  return out;
}

function ruleAllows(rule: Rule, a: Attributes): boolean {
  if (
    !rule.apiGroups.includes(a.group) ||
    !rule.resources.includes(a.resource) ||
    !rule.verbs.includes(a.verb)
  )
    return false;
  if (!rule.resourceNames) return true;
  // list/watch with resourceNames needs a metadata.name field selector naming one of them.
  const name = a.verb === 'get' || a.verb === 'patch' ? a.name : a.fieldName;
  return !!name && rule.resourceNames.includes(name);
}

// A ClusterRoleBinding grants everywhere; a RoleBinding only inside its own namespace.
function grantAllows(g: Grant, a: Attributes): boolean {
  if (g.binding.kind === 'RoleBinding' && g.binding.metadata.namespace !== a.namespace) return false;
  return ruleAllows(g.rule, a);
}

const allowedBy = (objects: Obj[], a: Attributes) => grants(objects).some((g) => grantAllows(g, a));

/** The grants a component adds to the base (compared by content: each build reads the files anew). */
function addedTo(objects: Obj[]): Grant[] {
  const key = (g: Grant) => JSON.stringify([g.rule, g.binding.kind, g.binding.metadata]);
  const inBase = new Set(grants(base).map(key));
  return grants(objects).filter((g) => !inBase.has(key(g)));
}

const record = (fake: FakeKubeApi, from: number) =>
  fake.requests
    .slice(from)
    .map(attributes)
    .filter((a): a is Attributes => a !== undefined);

const isCaSecretRead = (a: Attributes) =>
  a.resource === 'secrets' && ['cacerts', 'istio-ca-secret'].includes(a.name ?? a.fieldName ?? '');

const until = (condition: () => boolean) => poll(condition, () => `timed out: ${condition}`, 5_000);

describe('RBAC: the base is the read-only minimum the code needs', () => {
  let fake: FakeKubeApi;
  let defaultRead: Attributes[];
  let caSecretRead: Attributes[];

  beforeAll(async () => {
    fake = new FakeKubeApi();
    const server = await fake.start();
    const api = createKubeApi({ kubeConfig: fake.kubeConfig(server) });
    // With the opt-in CA-secret read: deploy/base still grants it (to become an opt-in component).
    await readClusterSnapshot(api, { backoffMs: 1, readCaSecret: true });
    // The readiness probe's call (src/ops/cluster-probe.ts).
    await api.core.listNamespace({ limit: 1 }, api.callOptions);
    // The bot's live model (serve): its LISTs and WATCHes, once every watch is open.
    const model = new ClusterModel(api, new Watch(fake.kubeConfig(server)));
    model.start();
    await model.whenSynced(10_000);
    // namespaces, pods, services, 2 ConfigMap reads, Gateway, 2 webhook configurations, PA, AP, DR, SE,
    // Sidecar, VirtualService.
    await until(() => fake.openWatches() === 14);
    model.stop();
    defaultRead = record(fake, 0);
    const before = fake.requests.length;
    // The CA check's opt-in (--read-ca-secret); an option the reader does not know is ignored.
    await readClusterSnapshot(api, { backoffMs: 1, readCaSecret: true } as ClusterReadOptions);
    // And the model's, which lists and watches the two names.
    const withCa = new ClusterModel(api, new Watch(fake.kubeConfig(server)), { readCaSecret: true });
    withCa.start();
    await withCa.whenSynced(10_000);
    await until(() => fake.openWatches() === 16);
    withCa.stop();
    caSecretRead = record(fake, before).filter(isCaSecretRead);
  });
  afterAll(() => fake.stop());

  it('every call of a default read is allowed by the base (the CA Secret is the CA opt-in)', () => {
    expect(defaultRead.length).toBeGreaterThanOrEqual(14);
    expect(defaultRead.filter((c) => c.verb === 'watch')).toHaveLength(14);
    for (const call of defaultRead.filter((c) => !isCaSecretRead(c))) {
      expect(allowedBy(base, call), JSON.stringify(call)).toBe(true);
    }
  });

  it('every rule of the base is used by some call of a default read', () => {
    for (const { rule, role } of grants(base)) {
      for (const group of rule.apiGroups)
        for (const resource of rule.resources)
          for (const verb of rule.verbs) {
            const used = defaultRead.some(
              (c) => c.group === group && c.resource === resource && c.verb === verb && ruleAllows(rule, c),
            );
            expect(used, `${role}: ${verb} ${resource}.${group || 'core'} is granted but never used`).toBe(
              true,
            );
          }
    }
  });

  it('the base grants no Secret, no port-forward and no write', () => {
    const rules = grants(base).map((g) => g.rule);
    expect(rules.flatMap((r) => r.resources)).not.toContain('secrets');
    expect(rules.flatMap((r) => r.resources)).not.toContain('pods/portforward');
    expect(new Set(rules.flatMap((r) => r.verbs))).toEqual(new Set(['list', 'watch']));
    expect(base.map((o) => o.metadata.name)).not.toContain('mtls-doctor-remediate');
  });

  it('components/ca-secret adds exactly the CA Secret read, which the base refuses', () => {
    expect(caSecretRead.map((c) => `${c.verb} ${c.name ?? c.fieldName}`).sort()).toEqual([
      'get cacerts',
      'get istio-ca-secret',
      'list cacerts',
      'list istio-ca-secret',
      'watch cacerts',
      'watch istio-ca-secret',
    ]);
    for (const call of caSecretRead) {
      expect(allowedBy(base, call), `base must not allow ${call.name}`).toBe(false);
      expect(allowedBy(withCaSecret, call), `the component must allow ${call.name}`).toBe(true);
    }
    // A list or watch of the Secrets without the name selector is refused.
    const anySecret = { verb: 'watch', group: '', resource: 'secrets', namespace: 'istio-system' };
    expect(allowedBy(withCaSecret, anySecret)).toBe(false);
    const added = addedTo(withCaSecret);
    expect(added.map((g) => g.rule)).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['cacerts', 'istio-ca-secret'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    // Only in Istio's namespace.
    expect(added.map((g) => `${g.binding.kind}/${g.binding.metadata.namespace}`)).toEqual([
      'RoleBinding/istio-system',
    ]);
  });

  it('components/istioctl-certificates adds exactly what istioctl proxy-config needs', () => {
    const added = addedTo(withIstioctl);
    expect(added.map((g) => g.rule)).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] },
    ]);
  });
});

describe('RBAC: components/remediate applies fixes only in the namespaces bound to it', () => {
  let fake: FakeKubeApi;
  const calls = new Map<string, Attributes[]>();
  /** The example overlay's binding, copied from the template for another namespace. */
  const withPayments = [
    ...remediateExample,
    ...load('components/remediate/namespace-rolebinding.yaml').map((o) => ({
      ...o,
      metadata: { ...o.metadata, namespace: 'payments' },
    })),
  ];

  const namespaceObjects = (ns: string): Obj[] => [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: { matchLabels: { app: 'web' } }, mtls: { mode: 'STRICT' } },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'reviews', namespace: ns },
      spec: { host: 'reviews', trafficPolicy: { tls: { mode: 'DISABLE' } } },
    },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns }, spec: {} },
  ];

  // One plan of each kind the code builds, in one namespace.
  const plansIn = (ns: string): RemediationPlan[] => [
    setPeerAuthenticationMode({ meta: { namespace: ns, name: 'web' } } as never, 'PERMISSIVE'),
    createNamespacePolicy(ns, 'PERMISSIVE'),
    setDestinationRuleTls(
      { meta: { namespace: ns, name: 'reviews' }, trafficPolicy: { tls: { mode: 'DISABLE' } } } as never,
      'spec.trafficPolicy.tls',
      'ISTIO_MUTUAL',
    ),
    createNamespaceDestinationRule(ns, 'catalog', 'ISTIO_MUTUAL'),
    labelNamespaceForInjection(ns),
    restartWorkload({ kind: 'Deployment', meta: { namespace: ns, name: 'web' } } as never, 'test'),
  ];

  beforeAll(async () => {
    fake = new FakeKubeApi().add(...namespaceObjects('shop'), ...namespaceObjects('payments'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: 'istio-system' },
      data: { mesh: 'enableAutoMtls: false\n' },
    });
    const server = await fake.start();
    const api = createKubeApi({ kubeConfig: fake.kubeConfig(server) });
    const audit = new AuditLog(':memory:');
    for (const [label, plans] of [
      ['shop', plansIn('shop')],
      ['payments', plansIn('payments')],
      ['mesh', [enableAutoMtls(undefined, 'enableAutoMtls: false\n')]],
    ] as const) {
      const from = fake.requests.length;
      const applied: number[] = [];
      for (const plan of plans) applied.push((await applyPlan(api.objects, plan, audit, 'tester')).auditId);
      // Every change rolled back too: a created rule's rollback deletes it.
      for (const id of applied.reverse()) await rollback(api.objects, audit, id, 'tester');
      calls.set(label, record(fake, from));
    }
    audit.close();
  });
  afterAll(() => fake.stop());

  it('every call of every plan and its rollback in an opted-in namespace (read, dry run, change) is allowed', () => {
    const shop = calls.get('shop') ?? [];
    expect(new Set(shop.map((c) => c.verb))).toEqual(new Set(['get', 'patch', 'create', 'delete']));
    for (const call of shop) expect(allowedBy(remediateExample, call), JSON.stringify(call)).toBe(true);
    for (const call of calls.get('payments') ?? [])
      expect(allowedBy(withPayments, call), JSON.stringify(call)).toBe(true);
  });

  it('in a namespace without a RoleBinding every write is refused', () => {
    const payments = calls.get('payments') ?? [];
    const writes = payments.filter((c) => c.verb !== 'get');
    expect(writes.length).toBeGreaterThanOrEqual(plansIn('payments').length);
    for (const call of writes) expect(allowedBy(remediateExample, call), JSON.stringify(call)).toBe(false);
  });

  it('the mesh ConfigMap is writable by name in istio-system only, without any namespace binding', () => {
    const mesh = calls.get('mesh') ?? [];
    expect(mesh.some((c) => c.verb === 'patch' && c.resource === 'configmaps')).toBe(true);
    for (const call of mesh) expect(allowedBy(remediateExample, call), JSON.stringify(call)).toBe(true);
    const other = { verb: 'patch', group: '', resource: 'configmaps', namespace: 'istio-system', name: 'x' };
    expect(allowedBy(remediateExample, other)).toBe(false);
  });

  it('nothing is bound cluster-wide to write, and delete is granted on PeerAuthentications and DestinationRules only', () => {
    for (const [name, objects] of Object.entries(ALL_BUILDS)) {
      const deletable = grants(objects)
        .filter((g) => g.rule.verbs.includes('delete'))
        .flatMap((g) => g.rule.resources);
      expect(new Set(deletable), name).toEqual(
        new Set(deletable.length ? ['peerauthentications', 'destinationrules'] : []),
      );
      const clusterWide = grants(objects).filter((g) => g.binding.kind === 'ClusterRoleBinding');
      for (const g of clusterWide) {
        const writes = g.rule.verbs.filter((v) => !['get', 'list', 'watch'].includes(v));
        // istioctl's port-forward is its own opt-in (components/istioctl-certificates).
        if (g.rule.resources.includes('pods/portforward')) continue;
        expect(writes, `${name}: ${g.role} is bound cluster-wide`).toEqual([]);
      }
    }
    const component = load('components/remediate/rbac.yaml');
    expect(component.map((o) => o.kind)).not.toContain('ClusterRoleBinding');
  });
});
