// What a change alert's Revert button may write: the kinds, verbs and names the shipped remediate
// component (deploy/components/remediate/rbac.yaml) grants. A button for anything else would only
// fail at its dry run with a 403; those changes get the kubectl command instead. A test reads the
// rbac.yaml and checks this list against it, so the two cannot drift apart.

export type RevertVerb = 'patch' | 'create' | 'delete';

export interface RevertGrant {
  readonly kind: string;
  readonly group: string;
  readonly resource: string;
  readonly verbs: readonly RevertVerb[];
  /** The Role or ClusterRole of the component that grants it. */
  readonly role: string;
  /** Only in this namespace and by these names (a Role limited with resourceNames). */
  readonly namespace?: string;
  readonly names?: readonly string[];
}

export const REVERT_GRANTS: readonly RevertGrant[] = [
  {
    kind: 'PeerAuthentication',
    group: 'security.istio.io',
    resource: 'peerauthentications',
    verbs: ['patch', 'create', 'delete'],
    role: 'mtls-doctor-remediate',
  },
  {
    kind: 'DestinationRule',
    group: 'networking.istio.io',
    resource: 'destinationrules',
    verbs: ['patch', 'create', 'delete'],
    role: 'mtls-doctor-remediate',
  },
  // Its own labels (injection); a deleted namespace is not created again by the bot.
  { kind: 'Namespace', group: '', resource: 'namespaces', verbs: ['patch'], role: 'mtls-doctor-remediate' },
  // The mesh config, by name.
  {
    kind: 'ConfigMap',
    group: '',
    resource: 'configmaps',
    verbs: ['patch'],
    role: 'mtls-doctor-remediate-mesh-config',
    namespace: 'istio-system',
    names: ['istio'],
  },
];

export const VERB_OF = { 'merge-patch': 'patch', create: 'create', delete: 'delete' } as const;

/** Whether the remediate component lets the bot carry out this revert of this object. */
export function botMayRevert(
  action: keyof typeof VERB_OF,
  kind: string,
  namespace: string | undefined,
  name: string,
): boolean {
  return REVERT_GRANTS.some(
    (g) =>
      g.kind === kind &&
      g.verbs.includes(VERB_OF[action]) &&
      (g.namespace === undefined || g.namespace === namespace) &&
      (g.names === undefined || g.names.includes(name)),
  );
}
