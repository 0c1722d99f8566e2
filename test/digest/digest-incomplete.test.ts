// `mtls-doctor digest --state` against a loopback Kubernetes API whose PeerAuthentications are
// forbidden (403): STRICT namespaces then look PERMISSIVE. The digest must say what it could not read,
// must not report the differences from the last digest as changes, and must not become the baseline:
// the next complete digest compares with the last complete one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

const PA_LIST = 'peerauthentications.security.istio.io list (all namespaces)';
const day1 = new Date('2026-11-28T09:00:00Z');
const day2 = new Date('2026-11-29T09:00:00Z');
const day3 = new Date('2026-11-30T09:00:00Z');

let fake: FakeKubeApi | undefined;
afterEach(async () => fake?.stop());

const forbidPeerAuthentications = (api: FakeKubeApi) =>
  api.fault('/apis/security.istio.io/v1/peerauthentications', {
    status: 403,
    reason: 'Forbidden',
    message: 'peerauthentications.security.istio.io is forbidden',
  });

describe('a digest from an incomplete read', () => {
  it('names what could not be read, compares nothing and keeps the last complete digest as the baseline', async () => {
    fake = paymentsCluster();
    const kubeconfig = kubeconfigFile(await fake.start());
    const state = join(mkdtempSync(join(tmpdir(), 'digest-gap-')), 'state.db');
    const digest = (now: Date, ...more: string[]) =>
      runCli(['digest', '--kubeconfig', kubeconfig, '--state', state, ...more], { now });

    expect((await digest(day1)).code).toBe(EXIT.ok);

    forbidPeerAuthentications(fake);
    const text = await digest(day2);
    expect(text.code).toBe(EXIT.incomplete);
    expect(text.stdout).toContain(
      `Incomplete: could not read ${PA_LIST}; the modes, score and steps below come from the rest and may be wrong:\n  ? ${PA_LIST}: forbidden (HTTP 403`,
    );
    expect(text.stdout).toContain(
      `Changes since ${day1.toISOString()}: not compared: this read is incomplete, so a difference could be what could not be read rather than a change. The digest of ${day1.toISOString()} stays the baseline.`,
    );
    // payments is STRICT: the forbidden list makes it look PERMISSIVE, which is no change.
    expect(text.stdout).not.toContain('STRICT → PERMISSIVE');

    // JSON only adds fields: posture.gaps and notCompared.
    const json = await digest(day2, '-o', 'json');
    expect(json.code).toBe(EXIT.incomplete);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.posture.gaps).toEqual([
      { source: PA_LIST, reason: expect.stringContaining('forbidden (HTTP 403') },
    ]);
    expect(parsed).toMatchObject({
      previousAt: day1.toISOString(),
      changes: [],
      notCompared: expect.stringContaining('this read is incomplete'),
    });

    const store = new SqliteStore(state);
    expect(store.postureHistory('mesh', '2000-01-01T00:00:00Z').map((p) => p.takenAt)).toEqual([
      day1.toISOString(),
    ]);
    store.close();

    // Readable again: compared with day 1, the last complete digest, and nothing changed since.
    fake.fault('/apis/security.istio.io/v1/peerauthentications', { times: 0 });
    const after = JSON.parse((await digest(day3, '-o', 'json')).stdout);
    expect(after).toMatchObject({ previousAt: day1.toISOString(), changes: [], posture: { gaps: [] } });
    expect(after.notCompared).toBeUndefined();
  });
});
