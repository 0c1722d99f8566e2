// Edits computed from the live object: only the named field changes, lists are sent as they are live,
// and an edit whose anchors no longer hold is refused.
import { describe, expect, it } from 'vitest';
import { mergePatchFor, StaleEditError, setTlsModeEdit } from '../../src/remediation/live-edit.js';
import type { DestinationRule } from '../../src/snapshot/types.js';

const snapshotRule: DestinationRule = {
  meta: { name: 'r', namespace: 'shop', labels: {}, annotations: {} },
  host: 'pay',
  exportTo: [],
  subsets: [
    {
      name: 'v1',
      labels: {},
      trafficPolicy: { portLevelSettings: [{ port: 80, tls: { mode: 'DISABLE' } }] },
    },
  ],
};

const live = () => ({
  spec: {
    host: 'pay',
    trafficPolicy: { tls: { mode: 'DISABLE', sni: 'pay' }, loadBalancer: { simple: 'RANDOM' } },
    subsets: [
      {
        name: 'v1',
        labels: { v: '1' },
        trafficPolicy: {
          portLevelSettings: [
            { port: { number: 80 }, tls: { mode: 'DISABLE' }, connectionPool: { tcp: {} } },
          ],
        },
      },
    ],
  },
});

describe('edits from the live object', () => {
  it('a port entry inside a subset: the live subsets list with only that tls.mode changed', () => {
    const { edit } = setTlsModeEdit(
      snapshotRule,
      'spec.subsets[0].trafficPolicy.portLevelSettings[0].tls',
      'ISTIO_MUTUAL',
    );
    const expected = live().spec.subsets;
    const entry = expected[0]?.trafficPolicy.portLevelSettings[0] as { tls: { mode: string } };
    entry.tls.mode = 'ISTIO_MUTUAL';
    expect(mergePatchFor(edit, live())).toEqual({ spec: { subsets: expected } });
  });

  it('the top-level tls: a merge patch of mode alone (sni and the rest stay)', () => {
    const { edit, jsonPatch } = setTlsModeEdit(snapshotRule, 'spec.trafficPolicy.tls', 'ISTIO_MUTUAL');
    expect(jsonPatch).toBeUndefined();
    expect(mergePatchFor(edit, live())).toEqual({
      spec: { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
    });
  });

  it('refuses when the port at the index is another one now', () => {
    const { edit } = setTlsModeEdit(
      snapshotRule,
      'spec.subsets[0].trafficPolicy.portLevelSettings[0].tls',
      'ISTIO_MUTUAL',
    );
    const moved = live();
    const entry = moved.spec.subsets[0]?.trafficPolicy.portLevelSettings[0] as { port: { number: number } };
    entry.port.number = 8080;
    expect(() => mergePatchFor(edit, moved)).toThrow(StaleEditError);
  });

  it('auto mTLS: the live mesh text with the one setting changed', () => {
    expect(
      mergePatchFor(
        { kind: 'enable-auto-mtls-mesh' },
        { data: { mesh: 'a: 1\nenableAutoMtls: false\nb: 2\n' } },
      ),
    ).toEqual({ data: { mesh: 'a: 1\nenableAutoMtls: true\nb: 2\n' } });
    expect(mergePatchFor({ kind: 'enable-auto-mtls-mesh' }, { data: { mesh: 'a: 1\n' } })).toEqual({
      data: { mesh: 'a: 1\nenableAutoMtls: true\n' },
    });
  });
});
