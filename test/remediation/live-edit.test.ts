// Edits computed from the live object: only the named field changes, lists are sent as they are live,
// and an edit whose anchors no longer hold is refused.
import { describe, expect, it } from 'vitest';
import {
  mergePatchFor,
  StaleEditError,
  setPortTlsModeEdit,
  setTlsModeEdit,
} from '../../src/remediation/live-edit.js';
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

  it('the top-level tls: a merge patch of mode, and of the live fields ISTIO_MUTUAL cannot keep (sni)', () => {
    const { edit, jsonPatch } = setTlsModeEdit(snapshotRule, 'spec.trafficPolicy.tls', 'ISTIO_MUTUAL');
    expect(jsonPatch).toBeUndefined();
    expect(mergePatchFor(edit, live())).toEqual({
      spec: { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL', sni: null } } },
    });
  });

  it('ISTIO_MUTUAL from SIMPLE: the fields naming another certificate are removed, from the live object', () => {
    const simple = () => {
      const rule = live();
      Object.assign(rule.spec.trafficPolicy.tls, {
        mode: 'SIMPLE',
        subjectAltNames: ['pay.example.com'],
        caCertificates: '/etc/ca.pem',
      });
      return rule;
    };
    const { edit } = setTlsModeEdit(snapshotRule, 'spec.trafficPolicy.tls', 'ISTIO_MUTUAL');
    expect(mergePatchFor(edit, simple())).toEqual({
      spec: {
        trafficPolicy: {
          tls: { mode: 'ISTIO_MUTUAL', sni: null, subjectAltNames: null, caCertificates: null },
        },
      },
    });
    // DISABLE keeps them (they do nothing there), as before.
    const disable = setTlsModeEdit(snapshotRule, 'spec.trafficPolicy.tls', 'DISABLE').edit;
    expect(mergePatchFor(disable, simple())).toEqual({
      spec: { trafficPolicy: { tls: { mode: 'DISABLE' } } },
    });
    // Inside a list the entry's tls is written whole.
    const inSubset = live();
    const entry = inSubset.spec.subsets[0]?.trafficPolicy.portLevelSettings[0] as {
      tls: Record<string, unknown>;
    };
    entry.tls = { mode: 'MUTUAL', credentialName: 'pay-client', sni: 'pay.example.com' };
    const { edit: subsetEdit, jsonPatch } = setTlsModeEdit(
      snapshotRule,
      'spec.subsets[0].trafficPolicy.portLevelSettings[0].tls',
      'ISTIO_MUTUAL',
    );
    const patched = mergePatchFor(subsetEdit, inSubset) as typeof inSubset;
    expect(patched.spec.subsets[0]?.trafficPolicy.portLevelSettings[0]).toEqual({
      port: { number: 80 },
      tls: { mode: 'ISTIO_MUTUAL' },
      connectionPool: { tcp: {} },
    });
    expect(jsonPatch?.at(-1)).toEqual({
      op: 'add',
      path: '/spec/subsets/0/trafficPolicy/portLevelSettings/0/tls/mode',
      value: 'ISTIO_MUTUAL',
    });
  });

  it('a port entry of its own for a failing port: the live list kept, the entry added or its tls set', () => {
    const { edit, mergePatch } = setPortTlsModeEdit(snapshotRule, [80, 9000], 'ISTIO_MUTUAL');
    expect(mergePatch).toEqual({
      spec: {
        trafficPolicy: {
          portLevelSettings: [
            { port: { number: 80 }, tls: { mode: 'ISTIO_MUTUAL' } },
            { port: { number: 9000 }, tls: { mode: 'ISTIO_MUTUAL' } },
          ],
        },
      },
    });
    const withList = live() as ReturnType<typeof live> & {
      spec: { trafficPolicy: { portLevelSettings?: unknown[] } };
    };
    withList.spec.trafficPolicy.portLevelSettings = [
      { port: { number: 80 }, connectionPool: { tcp: { maxConnections: 5 } } },
    ];
    expect(mergePatchFor(edit, withList)).toEqual({
      spec: {
        trafficPolicy: {
          portLevelSettings: [
            {
              port: { number: 80 },
              connectionPool: { tcp: { maxConnections: 5 } },
              tls: { mode: 'ISTIO_MUTUAL' },
            },
            { port: { number: 9000 }, tls: { mode: 'ISTIO_MUTUAL' } },
          ],
        },
      },
    });
  });

  it('TLS origination to an external host: the block becomes exactly SIMPLE with its sni', () => {
    const { edit, jsonPatch } = setTlsModeEdit(
      snapshotRule,
      'spec.trafficPolicy.tls',
      'SIMPLE',
      'pay.example.com',
    );
    const mutual = live();
    Object.assign(mutual.spec.trafficPolicy.tls, {
      mode: 'ISTIO_MUTUAL',
      subjectAltNames: ['spiffe://td/ns/shop/sa/pay'],
    });
    expect(mergePatchFor(edit, mutual)).toEqual({
      spec: { trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'pay.example.com', subjectAltNames: null } } },
    });
    expect(jsonPatch).toEqual([
      { op: 'add', path: '/spec/trafficPolicy/tls', value: { mode: 'SIMPLE', sni: 'pay.example.com' } },
    ]);
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
