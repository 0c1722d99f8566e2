// Plan YAML is written by a fast path for the plain objects plans are made of; it must be the bytes
// `yaml` (YAML 1.1) writes for the same object, for every object, quoted and anchored cases included.
// The generated cases are a guard (they hold for the old toKubeYaml, stringify itself); the short
// strings caught `e2`, which the fast path first wrote bare.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { toKubeYaml } from '../../src/remediation/kube-yaml.js';

const PLAIN_STRINGS = [
  'web',
  'team-0001',
  'STRICT',
  'ISTIO_MUTUAL',
  'app.kubernetes.io/name',
  'security.istio.io/v1',
  '8080',
  '',
  'NaN',
  'yes.please',
  'Y2',
  'x-',
  'v1',
  'tls',
];
// Strings yaml quotes, folds or reads as something else: each leaves the whole object to yaml.
const ODD_STRINGS = [
  'yes',
  'No',
  'ON',
  'off',
  'y',
  'N',
  'true',
  'False',
  'null',
  'Null',
  '~',
  '',
  '8080',
  '0123',
  '1_000',
  '2024-01-01',
  '1e3',
  '.inf',
  '.NaN',
  'a b',
  'a: b',
  '#x',
  '-x',
  'x-',
  'a#b',
  "it's",
  'say "hi"',
  'multi\nline',
  'spiffe://cluster.local/ns/a/sa/b',
  '*.svc.cluster.local',
  '<<',
  '=',
  'x'.repeat(90),
  `${'word '.repeat(30)}end`,
  'é',
];
const NUMBERS = [0, 1, 80, 8080, 65535];
const ODD_NUMBERS = [-1, -0, 1.5, 1e21, Number.NaN];

/** Every string of up to three characters over letters of YAML 1.1's words, digits and name punctuation. */
function shortStrings(): string[] {
  const alphabet = 'aeEnoNOyYtf019._-/+_'.split('');
  const out = [''];
  for (let length = 1; length <= 3; length++)
    for (const prefix of out.filter((s) => s.length === length - 1))
      for (const c of alphabet) out.push(prefix + c);
  return out;
}

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

function value(rnd: () => number, depth: number, shared: object[]): unknown {
  const r = rnd();
  if (depth > 0 && r < 0.3) return map(rnd, depth - 1, shared);
  if (depth > 0 && r < 0.4) {
    const n = Math.floor(rnd() * 3.2);
    return Array.from({ length: n }, () => value(rnd, depth - 1, shared));
  }
  if (r < 0.41 && shared.length > 0) return pick(rnd, shared);
  if (r < 0.415) return rnd() < 0.5 ? null : undefined;
  if (r < 0.42) return pick(rnd, ODD_NUMBERS);
  if (r < 0.5) return rnd() < 0.5;
  if (r < 0.6) return pick(rnd, NUMBERS);
  return string(rnd);
}

function string(rnd: () => number): string {
  return rnd() < 0.02 ? pick(rnd, ODD_STRINGS) : pick(rnd, PLAIN_STRINGS);
}

function map(rnd: () => number, depth: number, shared: object[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = Math.floor(rnd() * 4.2);
  for (let i = 0; i < n; i++) out[string(rnd)] = value(rnd, depth, shared);
  if (rnd() < 0.02) shared.push(out);
  return out;
}

describe('toKubeYaml', () => {
  it('writes what yaml writes (YAML 1.1) for thousands of generated objects', () => {
    const rnd = random(12);
    for (let i = 0; i < 5000; i++) {
      const object = map(rnd, 3, []);
      expect(toKubeYaml(object), JSON.stringify(object)).toBe(stringify(object, { version: '1.1' }));
    }
  });

  it('writes every short string as yaml does, as a value and as a key (e2 is a YAML 1.1 float)', () => {
    for (const s of shortStrings()) {
      expect(toKubeYaml({ k: s }), s).toBe(stringify({ k: s }, { version: '1.1' }));
      expect(toKubeYaml({ [s]: 1 }), s).toBe(stringify({ [s]: 1 }, { version: '1.1' }));
    }
    expect(toKubeYaml({ namespace: 'e2', app: 'E10' })).toBe('namespace: "e2"\napp: "E10"\n');
    expect(toKubeYaml({ port: -0 })).toBe(stringify({ port: -0 }, { version: '1.1' }));
  });

  it('writes a plan object of names, labels and ports as yaml does', () => {
    const object = {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'web-port-8080', namespace: 'team-0001' },
      spec: {
        selector: { matchLabels: { app: 'web', 'app.kubernetes.io/part-of': 'yes' } },
        mtls: { mode: 'STRICT' },
        portLevelMtls: { '8080': { mode: 'PERMISSIVE' } },
      },
      subsets: [{ name: 'v1', labels: { version: 'v1' } }, 'x', 3, true],
    };
    expect(toKubeYaml(object)).toBe(stringify(object, { version: '1.1' }));
  });
});
