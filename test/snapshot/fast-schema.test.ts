// The compiled fast path must never disagree with zod: whatever it accepts, zod accepts with the very
// same output (values and key order); everything else it leaves to zod (and so to zod's messages).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { generateMesh } from '../../bench/generate-mesh.js';
import { fastParse, NOT_FAST } from '../../src/snapshot/fast-schema.js';
import { parseManifestText } from '../../src/snapshot/read-manifests.js';
import * as schemas from '../../src/snapshot/schemas.js';
import { fixtureFiles } from './generate-reader-expectations.js';

const SCHEMAS = Object.entries(schemas).filter(([name]) => name.endsWith('Schema')) as [string, z.ZodType][];

// Every place build-snapshot validates, tried with every schema: agreement must hold for any input.
const PATHS = [[], ['metadata'], ['spec'], ['spec', 'template'], ['spec', 'jobTemplate', 'spec', 'template']];

function objectsOfFixtures(): unknown[] {
  const objects: unknown[] = [];
  for (const file of fixtureFiles()) {
    try {
      objects.push(...parseManifestText(readFileSync(file, 'utf8'), file).map((r) => r.object));
    } catch {
      // Fixtures the reader rejects never reach validation.
    }
  }
  return objects;
}

function objectsOfSyntheticMesh(): unknown[] {
  const scale = {
    namespaces: 6,
    workloadsPerNamespace: 5,
    peerAuthentications: 8,
    destinationRules: 12,
    serviceEntries: 3,
  };
  return [...generateMesh(scale)].flatMap(([file, text]) =>
    parseManifestText(text, file).map((r) => r.object),
  );
}

function at(object: unknown, path: readonly string[]): unknown {
  let value = object;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

/** Compares fast and zod on one value; returns whether the fast path took it. */
function agree(schema: z.ZodType, value: unknown): boolean {
  const fast = fastParse(schema, value);
  if (fast === NOT_FAST) return false;
  const result = schema.safeParse(value);
  expect(result.success).toBe(true);
  expect(fast).toStrictEqual(result.data);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(result.data));
  return true;
}

describe('the compiled fast path of the manifest schemas', () => {
  it('gives exactly what zod gives on every fixture and the synthetic mesh, and takes most of them', () => {
    let fast = 0;
    let zodOnly = 0;
    for (const object of [...objectsOfFixtures(), ...objectsOfSyntheticMesh()]) {
      for (const path of PATHS) {
        const value = at(object, path);
        if (value === undefined) continue;
        for (const [, schema] of SCHEMAS) {
          if (agree(schema, value)) fast++;
          else if (schema.safeParse(value).success) zodOnly++;
        }
      }
    }
    // Coerced or unusual input is left to zod; the usual shapes are not.
    expect(fast).toBeGreaterThan(10 * zodOnly);
  });

  it('leaves coercion, failed checks and unknown types to zod', () => {
    const { metadataSchema, serviceSpecSchema, serviceEntrySpecSchema, destinationRuleSpecSchema } = schemas;
    const cases: [z.ZodType, unknown][] = [
      [metadataSchema, { name: 'a', labels: { port: 8080 } }],
      [metadataSchema, { name: '' }],
      [metadataSchema, { name: 'a', creationTimestamp: new Date(0) }],
      [metadataSchema, { name: 'a', resourceVersion: 12 }],
      [serviceSpecSchema, { ports: [{ port: '80' }] }],
      [serviceSpecSchema, { ports: [{ port: 0 }] }],
      [serviceSpecSchema, { ports: [{ port: 80.5 }] }],
      [serviceSpecSchema, { ports: [{ port: 80, targetPort: 1.5 }] }],
      [serviceEntrySpecSchema, { hosts: [] }],
      [destinationRuleSpecSchema, { host: 'a', trafficPolicy: { tls: { mode: 'BOGUS' } } }],
      [destinationRuleSpecSchema, { host: 'a', exportTo: 'all' }],
    ];
    for (const [schema, value] of cases) expect(fastParse(schema, value)).toBe(NOT_FAST);
  });

  it('fills defaults and drops unknown keys as zod does', () => {
    const value = { ports: [{ port: 80, targetPort: 'http', extra: 1 }], type: undefined, other: true };
    expect(agree(schemas.serviceSpecSchema, { ports: value.ports, other: true })).toBe(true);
    expect(fastParse(schemas.serviceSpecSchema, { ports: value.ports })).toEqual({
      type: 'ClusterIP',
      ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }],
    });
  });

  it('copies only what changes, from wherever the first change is, and shares what needs none', () => {
    const { serviceSpecSchema, destinationRuleSpecSchema, peerAuthenticationSpecSchema, podTemplateSchema } =
      schemas;
    const exact = { labels: { app: 'a', version: 'v1' } };
    const changedLate = {
      selector: { app: 'a' },
      clusterIP: 'None',
      type: 'NodePort',
      ports: [
        { name: 'a', port: 80, protocol: 'UDP' },
        { name: 'b', port: 81 },
        { name: 'c', port: 82, protocol: 'TCP' },
      ],
    };
    const cases: [z.ZodType, unknown][] = [
      [serviceSpecSchema, changedLate],
      [serviceSpecSchema, { ...changedLate, extra: 1 }],
      [serviceSpecSchema, { type: 'NodePort', selector: { app: 'a' } }],
      [destinationRuleSpecSchema, { host: 'h', subsets: [{ name: 'a' }, { name: 'b', trafficPolicy: {} }] }],
      [destinationRuleSpecSchema, { host: 'h', trafficPolicy: { tls: {} }, exportTo: ['.'] }],
      [peerAuthenticationSpecSchema, { portLevelMtls: { 80: { mode: 'STRICT' }, 81: { mode: 'X' } } }],
      [
        peerAuthenticationSpecSchema,
        { portLevelMtls: { 80: { mode: 'STRICT' }, 81: { mode: 'DISABLE', x: 1 } } },
      ],
      [
        podTemplateSchema,
        { metadata: exact, spec: { containers: [{ name: 'a' }, { name: 'b', image: 'i' }] } },
      ],
    ];
    for (const [schema, value] of cases) {
      const result = schema.safeParse(value);
      if (result.success) expect(agree(schema, value)).toBe(true);
      else expect(fastParse(schema, value)).toBe(NOT_FAST);
    }
    // What is already in its exact shape is kept, not copied, inside a parent that is copied.
    const template = { metadata: exact, spec: { containers: [{ name: 'a', image: 'i' }] } };
    const parsed = fastParse(podTemplateSchema, template) as typeof template;
    expect(parsed.metadata).toBe(exact);
    expect(parsed.spec).not.toBe(template.spec);
    const ports = changedLate.ports.slice(0, 1);
    expect((fastParse(serviceSpecSchema, { ...changedLate, ports }) as typeof changedLate).ports).toBe(ports);
  });
});
