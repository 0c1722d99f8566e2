// The fast readers (JSON.parse, js-yaml, field lines on demand) must find exactly what the `yaml`
// package reader found in every fixture: the same objects, lines, and line of every field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseJsonManifest } from '../../src/snapshot/parse-json-manifest.js';
import { parseYamlExact } from '../../src/snapshot/parse-yaml-exact.js';
import { parseYamlFast } from '../../src/snapshot/parse-yaml-fast.js';
import { parseManifestText } from '../../src/snapshot/read-manifests.js';
import { allPaths, fixtureFiles } from './generate-reader-expectations.js';

type Expected =
  | { error: string }
  | { line: number; object: unknown; fieldLines: [(string | number)[], number][] }[];

const expectations = JSON.parse(
  readFileSync(new URL('./reader-expectations.json', import.meta.url), 'utf8'),
) as Record<string, Expected>;

describe('the fast manifest reader', () => {
  it('covers every fixture file', () => {
    expect(fixtureFiles()).toEqual(Object.keys(expectations).sort());
  });

  it('reads every fixture itself, except one with anchors (left to the yaml package)', () => {
    const leftOver = Object.entries(expectations)
      .filter(([, expected]) => !('error' in expected))
      .filter(([file]) => {
        const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
        return !((file.endsWith('.json') && parseJsonManifest(text, file)) || parseYamlFast(text, file));
      })
      .map(([file]) => file);
    expect(leftOver).toEqual(['test/fixtures/reader-cases/anchors.yaml']);
  });

  for (const [file, expected] of Object.entries(expectations)) {
    it(`reads ${file} as the reference reader did`, () => {
      const text = readFileSync(file, 'utf8');
      if ('error' in expected) {
        const location = expected.error.split(': ')[0];
        expect(() => parseManifestText(text, file)).toThrowError(
          expected.error.includes('invalid YAML') ? `${location}: invalid YAML` : expected.error,
        );
        return;
      }
      const raws = parseManifestText(text, file);
      expect(raws.map((r) => r.location)).toEqual(expected.map((e) => ({ file, line: e.line })));
      expect(raws.map((r) => r.object)).toEqual(expected.map((e) => e.object));
      raws.forEach((raw, index) => {
        const fieldLines = expected[index]?.fieldLines ?? [];
        expect(fieldLines.map(([path]) => [path, raw.lineOf(path)])).toEqual(fieldLines);
      });
    });
  }
});

describe('the JSON reader on layouts the fixtures lack', () => {
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', labels: { x: '{"[:' } } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's', namespace: 'a', annotations: { 'k:1': 'a\\"b' } },
        spec: { ports: [{ port: 80 }, { port: 443, name: 'https' }] },
      },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } },
    ],
  };
  const layouts: Record<string, string> = {
    // kubectl's layout: four spaces, one key a line.
    'pretty, four spaces': JSON.stringify(list, null, 4),
    'CRLF line ends, tabs, blank lines before the root': `\r\n\r\n\t${JSON.stringify(list, null, '\t').replaceAll('\n', '\r\n')}\r\n`,
    'one line after blank lines': `\n\n\n${JSON.stringify(list)}`,
    'one object, indented': `\n  ${JSON.stringify(list.items[1], null, 2)}`,
  };
  for (const [name, text] of Object.entries(layouts)) {
    it(`finds the objects, lines and field lines the yaml package finds: ${name}`, () => {
      const fast = parseJsonManifest(text, 'x.json');
      const reference = parseYamlExact(text, 'x.json');
      expect(fast?.map((r) => r.location)).toEqual(reference.map((r) => r.location));
      expect(fast?.map((r) => r.object)).toEqual(reference.map((r) => r.object));
      reference.forEach((raw, index) => {
        for (const path of allPaths(raw.object)) expect(fast?.[index]?.lineOf(path)).toBe(raw.lineOf(path));
      });
    });
  }
});
