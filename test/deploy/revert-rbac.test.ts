// The Revert buttons of change alerts are offered from one list (src/snapshot/live/revert-rbac.ts);
// the remediate component's RBAC is what lets them work. Each must say the same as the other.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { botMayRevert, REVERT_GRANTS } from '../../src/snapshot/live/revert-rbac.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface RoleDoc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
}

const roles = parseAllDocuments(
  readFileSync(new URL('../../deploy/components/remediate/rbac.yaml', import.meta.url), 'utf8'),
)
  .map((d) => d.toJS() as RoleDoc)
  .filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role');

const WRITES = ['patch', 'create', 'delete'];

describe('Revert buttons and the remediate RBAC', () => {
  it('every write the list offers is granted, with get, by the role it names (names and namespace too)', () => {
    for (const g of REVERT_GRANTS) {
      const role = roles.find((r) => r.metadata.name === g.role);
      expect(role, g.role).toBeDefined();
      if (g.namespace) expect(role?.metadata.namespace).toBe(g.namespace);
      const rule = role?.rules?.find(
        (r) => r.apiGroups.includes(g.group) && r.resources.includes(g.resource),
      );
      expect(rule, `${g.kind} in ${g.role}`).toBeDefined();
      expect(rule?.verbs).toEqual(expect.arrayContaining(['get', ...g.verbs]));
      expect(rule?.resourceNames).toEqual(g.names);
    }
  });

  it('every write the component grants on a kind the alerts show is in the list: none is left unoffered', () => {
    const shown = new Set(REVERT_GRANTS.map((g) => g.resource));
    for (const role of roles)
      for (const rule of role.rules ?? [])
        for (const resource of rule.resources.filter((r) => shown.has(r))) {
          const grant = REVERT_GRANTS.find((g) => g.resource === resource && g.role === role.metadata.name);
          expect(grant, `${resource} in ${role.metadata.name}`).toBeDefined();
          expect([...(grant?.verbs ?? [])].sort()).toEqual(
            rule.verbs.filter((v) => WRITES.includes(v)).sort(),
          );
        }
  });

  it('kinds the role never writes get no button', () => {
    for (const kind of ['Service', 'Sidecar', 'VirtualService', 'ServiceEntry'])
      expect(botMayRevert('merge-patch', kind, 'payments', 'x'), kind).toBe(false);
    expect(botMayRevert('create', 'Namespace', undefined, 'payments')).toBe(false);
    expect(botMayRevert('merge-patch', 'ConfigMap', 'istio-system', 'istio-sidecar-injector')).toBe(false);
    expect(botMayRevert('merge-patch', 'ConfigMap', 'istio-system', 'istio')).toBe(true);
    expect(botMayRevert('delete', 'PeerAuthentication', 'payments', 'default')).toBe(true);
  });
});
