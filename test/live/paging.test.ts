// A paginated LIST always ends: a repeated continue token, endless new tokens and the read's deadline
// each stop it as a gap; an expired token (410) starts the list over, as client-go's pager does.
import { ApiException } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { createKubeApi, type KubeApi } from '../../src/snapshot/live/kube-api.js';
import { readClusterSnapshot } from '../../src/snapshot/live/read-cluster.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

let fake: FakeKubeApi | undefined;
afterEach(async () => fake?.stop());

const podsGap = (gaps: readonly { source: string; reason: string }[]) =>
  gaps.find((g) => g.source === 'pods list (all namespaces)');

/** The payments cluster's API, its pods LIST answered by `pods` instead. */
async function withPods(
  pods: (query: Record<string, unknown>) => Promise<unknown>,
): Promise<{ api: KubeApi; podRequests: () => number }> {
  fake = paymentsCluster();
  const real = createKubeApi({ kubeConfig: fake.kubeConfig(await fake.start()), requestTimeoutMs: 2000 });
  let count = 0;
  const api: KubeApi = {
    ...real,
    getJson: (path, query = {}) => {
      if (path !== '/api/v1/pods') return real.getJson(path, query);
      count++;
      return pods(query);
    },
  };
  return { api, podRequests: () => count };
}

const onePod = { metadata: { name: 'a', namespace: 'payments' }, spec: { containers: [] } };

describe('a LIST whose continue tokens never end', () => {
  it('a repeated token stops the list at once: a gap, and check exits 3', async () => {
    fake = paymentsCluster().fault('/api/v1/pods', {
      body: JSON.stringify({ kind: 'PodList', metadata: { continue: 'same' }, items: [onePod] }),
    });
    const config = kubeconfigFile(await fake.start());
    const { code, stdout } = await runCli(['check', '--no-istioctl', '--kubeconfig', config]);
    expect(code).toBe(EXIT.incomplete);
    expect(stdout).toContain(
      '? pods list (all namespaces): the API server answered page 2 with a continue token it had already given: the list was stopped unfinished',
    );
    expect(fake.requests.filter((r) => r.path === '/api/v1/pods')).toHaveLength(2);
  });

  it('new tokens without end stop at the page cap', async () => {
    let n = 0;
    const { api, podRequests } = await withPods(async () => ({
      items: [],
      metadata: { continue: `t${n++}` },
    }));
    const { snapshot } = await readClusterSnapshot(api, { paging: { maxPages: 50 } });
    expect(podsGap(snapshot.gaps)?.reason).toBe(
      'still more to come after 50 pages and 0 objects, more than any cluster holds: the list was stopped unfinished',
    );
    expect(podRequests()).toBe(50);
  });

  it('new tokens without end stop at the object cap, before memory runs out', async () => {
    let n = 0;
    const { api } = await withPods(async () => ({
      items: Array.from({ length: 100 }, () => onePod),
      metadata: { continue: `t${n++}` },
    }));
    const { snapshot } = await readClusterSnapshot(api, { paging: { maxObjects: 1000 } });
    expect(podsGap(snapshot.gaps)?.reason).toMatch(/^still more to come after 11 pages and 1100 objects/);
  });

  it("and a slow endless list stops at the read's deadline", async () => {
    let n = 0;
    const { api } = await withPods(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return { items: [], metadata: { continue: `t${n++}` } };
    });
    const started = performance.now();
    const { snapshot } = await readClusterSnapshot(api, { deadlineMs: 300 });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(podsGap(snapshot.gaps)?.reason).toMatch(
      /^the read's time ran out after \d+ pages \(0 objects\) of this list: the list was stopped unfinished$/,
    );
  });
});

describe('an expired continue token (410)', () => {
  const expired = () =>
    new ApiException(
      410,
      'Expired',
      JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'continue too old' }),
      {},
    );

  it('starts the list over, and the list is complete', async () => {
    fake = paymentsCluster().fault('/api/v1/pods', {
      status: 410,
      reason: 'Expired',
      message: 'The provided continue parameter is too old',
      skip: 1,
      times: 1,
    });
    const api = createKubeApi({ kubeConfig: fake.kubeConfig(await fake.start()) });
    const { snapshot } = await readClusterSnapshot(api, { pageSize: 1 });
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.workloads.map((w) => w.meta.name).sort()).toEqual(['cron-0', 'payments-0']);
    const pods = fake.requests.filter((r) => r.path === '/api/v1/pods');
    // page 1, page 2 (410), then page 1 and page 2 again.
    expect(pods.map((r) => r.query.get('continue') !== null)).toEqual([false, true, false, true]);
  });

  it('expiring on every attempt becomes a gap after three', async () => {
    const { api, podRequests } = await withPods(async (query) => {
      if (query.continue) throw expired();
      return { items: [onePod], metadata: { continue: 'next' } };
    });
    const { snapshot } = await readClusterSnapshot(api);
    expect(podsGap(snapshot.gaps)?.reason).toBe(
      "the list's continue token expired (HTTP 410: continue too old) on each of 3 attempts: reading it takes longer than the API server keeps a list's snapshot (a larger --page-size needs fewer pages)",
    );
    expect(podRequests()).toBe(6);
  });
});
