import { describe, expect, it } from 'vitest';
import { answer } from '../../src/slack/answer.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import type { MeshSnapshot } from '../../src/snapshot/types.js';
import { app, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

function matrixOfShop(snapshot: MeshSnapshot) {
  return answer(
    { kind: 'matrix', namespace: 'shop' },
    {
      plans: new PlanCache(),
      load: async () => ({ snapshot, readMs: 1, source: { kind: 'manifests', objects: 5 } }),
    },
  );
}

// A client without a sidecar calling a STRICT service: one of the two calls into shop fails.
const strictShop =
  namespace('legacy', 'none') +
  app('legacy', 'client') +
  namespace('shop') +
  app('shop', 'api') +
  peerAuthentication('shop', 'default', 'STRICT');

describe('/mtls matrix', () => {
  it('is headlined and judged by its failing calls, never as all clear above them', async () => {
    const result = await matrixOfShop(snapshotOf(strictShop));
    const [header, context] = result.message.blocks.map((b) => JSON.stringify(b));
    expect(JSON.stringify(result.message.blocks)).toContain('(1 failing pairs)');
    expect(header).toContain('Connectivity of shop: 1 of 2 calls fail in namespace shop');
    expect(result.message.text).toBe('Connectivity of shop: 1 of 2 calls fail in namespace shop');
    expect(context).toContain(':rotating_light:');
    expect(result.verdict).toBe('problems-found');
  });

  it('says failing calls found on a partial read are not all there may be', async () => {
    const result = await matrixOfShop({
      ...snapshotOf(strictShop),
      gaps: [{ source: 'pods list (all namespaces)', reason: 'forbidden' }],
    });
    expect(result.message.text).toBe(
      'Connectivity of shop: 1 of 2 calls fail in namespace shop (incomplete: could not read pods list (all namespaces))',
    );
    expect(result.verdict).toBe('problems-found');
  });

  it('says no call fails only when none fails and everything was read', async () => {
    const result = await matrixOfShop(snapshotOf(namespace('shop') + app('shop', 'api')));
    expect(result.message.text).toBe('Connectivity of shop: No call fails in namespace shop (1 checked)');
    expect(result.verdict).toBe('no-problems-found');
  });

  it('is incomplete, not all clear, when no call fails but something could not be read', async () => {
    const snapshot = snapshotOf(namespace('shop') + app('shop', 'api'));
    const result = await matrixOfShop({
      ...snapshot,
      gaps: [{ source: 'peerauthentications list (all namespaces)', reason: 'forbidden' }],
    });
    expect(result.message.text).toContain('Incomplete: no call fails in what could be read');
    expect(result.verdict).toBe('incomplete');
  });
});
