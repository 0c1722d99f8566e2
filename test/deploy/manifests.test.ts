// deploy/: every manifest validates against the Kubernetes schemas (kubernetes-models), and the
// ClusterRole/Role grant exactly the API calls the code makes: the calls are recorded from the real
// cluster reader against a loopback API server, then checked against the RBAC rules both ways.
import { readFileSync } from 'node:fs';
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
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { readClusterSnapshot } from '../../src/snapshot/live/read-cluster.js';
import { FakeKubeApi, type RecordedRequest } from '../helpers/fake-kube-api.js';

const BASE = new URL('../../deploy/base/', import.meta.url);
type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
};

function load(file: string): Obj[] {
  return parseAllDocuments(readFileSync(new URL(file, BASE), 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}

const kustomization = load('kustomization.yaml')[0] as unknown as { resources: string[] };
const objects = kustomization.resources.flatMap(load);
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

describe('deploy/base', () => {
  it('every object validates against its Kubernetes schema', () => {
    expect(objects.length).toBeGreaterThan(8);
    for (const o of [...objects, ...load('slack-secret.example.yaml')]) {
      const Model = MODELS[o.kind];
      expect(Model, `no schema for ${o.kind}`).toBeDefined();
      expect(
        () => new (Model as new (o: Obj) => { validate(): void })(o).validate(),
        `${o.kind} ${o.metadata.name}`,
      ).not.toThrow();
    }
  });

  it('the deployment runs as non-root with a read-only root filesystem, probes and resources', () => {
    const d = objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        template: {
          spec: { containers: Record<string, unknown>[]; securityContext: Record<string, unknown> };
        };
      };
    };
    const pod = d.spec.template.spec;
    const c = pod.containers[0] as Record<string, { [k: string]: unknown }>;
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

// RBAC's view of a request (what the API server's authorizer sees).
function attributes(r: RecordedRequest): Attributes {
  const core = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(r.path);
  const custom = /^\/apis\/([^/]+)\/[^/]+(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(r.path);
  const [group, namespace, resource, name] = core
    ? ['', core[1], core[2], core[3]]
    : custom
      ? [custom[1], custom[2], custom[3], custom[4]]
      : ['?', undefined, '?', undefined];
  const field = r.query.get('fieldSelector');
  return {
    verb: name ? 'get' : 'list',
    group: group as string,
    resource: resource as string,
    namespace,
    name,
    fieldName: field?.startsWith('metadata.name=') ? field.slice('metadata.name='.length) : undefined,
  };
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

function rulesFor(namespace: string | undefined): { rule: Rule; role: string }[] {
  const bound = objects.filter((o) => o.kind.endsWith('Binding'));
  const rules: { rule: Rule; role: string }[] = [];
  for (const b of bound) {
    const ref = b.roleRef as { kind: string; name: string };
    const role = objects.find(
      (o) =>
        o.kind === ref.kind &&
        o.metadata.name === ref.name &&
        (ref.kind === 'ClusterRole' || o.metadata.namespace === b.metadata.namespace),
    );
    if (!role) continue;
    // A RoleBinding grants only inside its namespace.
    if (b.kind === 'RoleBinding' && b.metadata.namespace !== namespace) continue;
    for (const rule of role.rules as Rule[]) rules.push({ rule, role: `${role.kind}/${role.metadata.name}` });
  }
  return rules;
}

function allows(rule: Rule, a: Attributes): boolean {
  if (
    !rule.apiGroups.includes(a.group) ||
    !rule.resources.includes(a.resource) ||
    !rule.verbs.includes(a.verb)
  )
    return false;
  if (!rule.resourceNames) return true;
  // list/watch with resourceNames needs a metadata.name field selector naming one of them.
  const name = a.verb === 'get' ? a.name : a.fieldName;
  return !!name && rule.resourceNames.includes(name);
}

describe('RBAC covers every API call the code makes, and nothing more', () => {
  let fake: FakeKubeApi;
  let calls: Attributes[];

  beforeAll(async () => {
    fake = new FakeKubeApi();
    const server = await fake.start();
    const api = createKubeApi({ kubeConfig: fake.kubeConfig(server) });
    // With the opt-in CA-secret read: deploy/base still grants it (to become an opt-in component).
    await readClusterSnapshot(api, { backoffMs: 1, readCaSecret: true });
    // The readiness probe's call (src/ops/cluster-probe.ts).
    await api.core.listNamespace({ limit: 1 }, api.callOptions);
    calls = fake.requests.map(attributes);
  });
  afterAll(() => fake.stop());

  it('every recorded call is allowed', () => {
    expect(calls.length).toBeGreaterThanOrEqual(10);
    for (const call of calls) {
      const cluster = rulesFor(undefined).some(
        ({ rule, role }) => role.startsWith('ClusterRole') && allows(rule, call),
      );
      const namespaced =
        call.namespace !== undefined && rulesFor(call.namespace).some(({ rule }) => allows(rule, call));
      expect(cluster || namespaced, JSON.stringify(call)).toBe(true);
    }
  });

  it('every rule of the read roles is used by some call', () => {
    const readRoles = rulesFor('istio-system').filter(
      ({ role }) => !role.endsWith('mtls-doctor-certificates'),
    );
    for (const { rule, role } of readRoles) {
      for (const group of rule.apiGroups) {
        for (const resource of rule.resources) {
          for (const verb of rule.verbs) {
            const used = calls.some(
              (c) => c.group === group && c.resource === resource && c.verb === verb && allows(rule, c),
            );
            expect(used, `${role}: ${verb} ${resource}.${group || 'core'} is granted but never used`).toBe(
              true,
            );
          }
        }
      }
    }
  });

  it('the opt-in remediation roles validate and cover every kind a plan changes, with no delete', () => {
    const extra = load('rbac-remediate.yaml');
    for (const o of extra) {
      const Model = MODELS[o.kind] as new (o: Obj) => { validate(): void };
      expect(() => new Model(o).validate()).not.toThrow();
    }
    const rules = extra.flatMap((o) => (o.rules as Rule[] | undefined) ?? []);
    expect(rules.flatMap((r) => r.verbs)).not.toContain('delete');
    const allowsPatch = (group: string, resource: string) =>
      rules.some(
        (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes('patch'),
      );
    for (const [group, resource] of [
      ['security.istio.io', 'peerauthentications'],
      ['networking.istio.io', 'destinationrules'],
      ['', 'namespaces'],
      ['apps', 'deployments'],
      ['', 'configmaps'],
    ]) {
      expect(allowsPatch(group as string, resource as string), `${resource}.${group}`).toBe(true);
    }
    expect(kustomization.resources).not.toContain('rbac-remediate.yaml');
  });

  it('the optional certificate role grants only what istioctl proxy-config needs', () => {
    const role = objects.find(
      (o) => o.kind === 'ClusterRole' && o.metadata.name === 'mtls-doctor-certificates',
    );
    expect(role?.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] },
    ]);
  });
});
