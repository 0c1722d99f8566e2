// Mirrors istio/istio pilot/pkg/security/authn/policy_applier_test.go TestComposePeerAuthentication.
import { describe, expect, it } from 'vitest';
import { app, meshOf, namespace, peerAuthentication } from '../helpers/mesh.js';

function modes(yaml: string, port = 8080) {
  const mesh = meshOf(`${namespace('foo')}${app('foo', 'httpbin')}${yaml}`);
  const workload = mesh.snapshot.workloads.find((w) => w.meta.name === 'httpbin');
  if (!workload) throw new Error('no workload');
  const decision = mesh.peerAuthentications.modeForPort(workload, port);
  return { mode: decision.mode, level: decision.level, policy: decision.policy?.meta.name };
}

describe('effective inbound mode (ComposePeerAuthentication)', () => {
  it('no config: PERMISSIVE by default', () => {
    expect(modes('')).toEqual({ mode: 'PERMISSIVE', level: 'default', policy: undefined });
  });

  it('mesh only', () => {
    expect(modes(peerAuthentication('istio-system', 'default', 'STRICT'))).toMatchObject({
      mode: 'STRICT',
      level: 'mesh',
    });
  });

  it('namespace overrides mesh', () => {
    const yaml =
      peerAuthentication('istio-system', 'default', 'STRICT') +
      peerAuthentication('foo', 'default', 'PERMISSIVE');
    expect(modes(yaml)).toMatchObject({ mode: 'PERMISSIVE', level: 'namespace' });
  });

  it('a selector policy in the root namespace is ignored', () => {
    const yaml =
      peerAuthentication('istio-system', 'default', 'PERMISSIVE') +
      peerAuthentication('istio-system', 'sel', 'STRICT', { selector: { app: 'httpbin' } });
    expect(modes(yaml)).toMatchObject({ mode: 'PERMISSIVE', level: 'mesh' });
    expect(meshOf(yaml).peerAuthentications.ignored.map((i) => i.reason)).toEqual([
      'selector-in-root-namespace',
    ]);
  });

  it('workload overrides namespace and mesh', () => {
    const yaml =
      peerAuthentication('istio-system', 'default', 'PERMISSIVE') +
      peerAuthentication('foo', 'default', 'DISABLE') +
      peerAuthentication('foo', 'w', 'STRICT', { selector: { app: 'httpbin' } });
    expect(modes(yaml)).toMatchObject({ mode: 'STRICT', level: 'workload', policy: 'w' });
  });

  it('several mesh or namespace policies: the oldest wins, then the first name', () => {
    const yaml =
      peerAuthentication('foo', 'newer', 'STRICT', { created: '2026-02-01T00:00:00Z' }) +
      peerAuthentication('foo', 'older', 'DISABLE', { created: '2026-01-01T00:00:00Z' });
    expect(modes(yaml)).toMatchObject({ mode: 'DISABLE', policy: 'older' });
    const tie = peerAuthentication('foo', 'b', 'STRICT') + peerAuthentication('foo', 'a', 'DISABLE');
    expect(modes(tie)).toMatchObject({ mode: 'DISABLE', policy: 'a' });
  });

  it('a policy without creationTimestamp (not created yet: a new file, a what-if) is the newest, not the oldest', () => {
    const yaml =
      peerAuthentication('foo', 'default', 'STRICT', { created: '2026-01-01T00:00:00Z' }) +
      peerAuthentication('foo', 'a-new', 'PERMISSIVE');
    expect(modes(yaml)).toMatchObject({ mode: 'STRICT', policy: 'default' });
    expect(meshOf(`${namespace('foo')}${yaml}`).peerAuthentications.ignored).toMatchObject([
      {
        reason: 'second-in-scope',
        policy: { meta: { name: 'a-new' } },
        winner: { meta: { name: 'default' } },
      },
    ]);
    const workload =
      peerAuthentication('foo', 'pinned', 'STRICT', {
        selector: { app: 'httpbin' },
        created: '2026-01-01T00:00:00Z',
      }) + peerAuthentication('foo', 'a-exception', 'PERMISSIVE', { selector: { app: 'httpbin' } });
    expect(modes(workload)).toMatchObject({ mode: 'STRICT', policy: 'pinned' });
  });

  it('several workload policies: the oldest wins, the others are ignored entirely', () => {
    const yaml =
      peerAuthentication('foo', 'late', 'DISABLE', {
        selector: { app: 'httpbin' },
        created: '2026-03-01T00:00:00Z',
        ports: { 8080: 'STRICT' },
      }) +
      peerAuthentication('foo', 'early', 'PERMISSIVE', {
        selector: { app: 'httpbin' },
        created: '2026-01-01T00:00:00Z',
      });
    expect(modes(yaml)).toMatchObject({ mode: 'PERMISSIVE', policy: 'early' });
  });

  it('UNSET inherits: mesh to namespace to workload', () => {
    const yaml =
      peerAuthentication('istio-system', 'default', 'STRICT') +
      peerAuthentication('foo', 'default', 'UNSET') +
      peerAuthentication('foo', 'w', undefined, { selector: { app: 'httpbin' } });
    expect(modes(yaml)).toMatchObject({ mode: 'STRICT', level: 'mesh' });
  });

  it('port level: mesh STRICT + workload {80: DISABLE, 90: UNSET} gives 80 DISABLE, 90 STRICT, others STRICT', () => {
    const yaml =
      peerAuthentication('istio-system', 'default', 'STRICT') +
      peerAuthentication('foo', 'w', undefined, {
        selector: { app: 'httpbin' },
        ports: { 80: 'DISABLE', 90: 'UNSET' },
      });
    expect(modes(yaml, 80)).toMatchObject({ mode: 'DISABLE', level: 'port' });
    expect(modes(yaml, 90)).toMatchObject({ mode: 'STRICT' });
    expect(modes(yaml, 100)).toMatchObject({ mode: 'STRICT' });
  });

  it('portLevelMtls on a namespace policy is ignored', () => {
    const yaml = peerAuthentication('foo', 'default', 'STRICT', { ports: { 8080: 'DISABLE' } });
    expect(modes(yaml, 8080)).toMatchObject({ mode: 'STRICT', level: 'namespace' });
  });

  it('namespace mode for auto mTLS: UNSET namespace falls back to the mesh; no policy at all is unknown', () => {
    const mesh = meshOf(
      peerAuthentication('istio-system', 'default', 'DISABLE') +
        peerAuthentication('foo', 'default', 'UNSET'),
    );
    expect(mesh.peerAuthentications.namespaceMode('foo')?.mode).toBe('DISABLE');
    expect(meshOf('').peerAuthentications.namespaceMode('foo')).toBeUndefined();
    const noMesh = meshOf(peerAuthentication('foo', 'default', 'UNSET'));
    expect(noMesh.peerAuthentications.namespaceMode('foo')?.mode).toBe('PERMISSIVE');
  });
});
