import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../src/snapshot/build-snapshot.js';
import { ManifestError, parseManifestText, readManifests } from '../../src/snapshot/read-manifests.js';

const PA = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtls:
    mode: STRICT
`;

describe('reading manifests', () => {
  it('reads multi-document YAML, skipping empty documents, with the line of each object', () => {
    const raws = parseManifestText(`---\n# nothing\n---\n${PA}---\n${PA.replace('foo', 'bar')}`, 'a.yaml');
    expect(raws).toHaveLength(2);
    expect(raws[0]?.location).toEqual({ file: 'a.yaml', line: 4 });
    expect(raws[1]?.location?.line).toBe(13);
  });

  it('reads JSON and kind: List with items', () => {
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } },
      ],
    });
    const snapshot = buildSnapshot(parseManifestText(list, 'list.json'));
    expect(snapshot.namespaces.map((n) => n.name)).toEqual(['a', 'b']);
  });

  it('reads directories recursively, only YAML and JSON files, and stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-'));
    mkdirSync(join(dir, 'nested', 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'nested', 'deeper', 'pa.yml'), PA);
    writeFileSync(join(dir, 'notes.txt'), 'not: a manifest');
    writeFileSync(
      join(dir, 'ns.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }),
    );
    const raws = await readManifests([dir, '-'], { stdin: async () => PA.replace('foo', 'from-stdin') });
    expect(
      raws.map((r) => (r.object.metadata as { namespace?: string; name: string }).namespace ?? r.object.kind),
    ).toEqual(['foo', 'Namespace', 'from-stdin']);
    expect(raws[2]?.location?.file).toBe('<stdin>');
  });

  it('names the file and line of a YAML syntax error', () => {
    const broken = `${PA}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  labels: [unclosed\n`;
    expect(() => parseManifestText(broken, 'broken.yaml')).toThrowError(ManifestError);
    try {
      parseManifestText(broken, 'broken.yaml');
    } catch (error) {
      expect((error as ManifestError).file).toBe('broken.yaml');
      expect((error as ManifestError).line).toBeGreaterThanOrEqual(14);
      expect((error as ManifestError).message).toMatch(/^broken.yaml:\d+: invalid YAML/);
    }
  });

  it('names the field and its line when an Istio object is malformed', () => {
    const bad = PA.replace('STRICT', 'STRCT');
    const error = (() => {
      try {
        buildSnapshot(parseManifestText(bad, 'pa.yaml'));
      } catch (e) {
        return e as ManifestError;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(ManifestError);
    expect(error.line).toBe(8);
    expect(error.message).toContain('PeerAuthentication foo/default: spec.mtls.mode');
  });

  it('rejects a document that is not an object, and an object without kind', () => {
    expect(() => parseManifestText('- just\n- a list\n', 'l.yaml')).toThrowError(
      /expected a Kubernetes object/,
    );
    expect(() => buildSnapshot(parseManifestText('metadata:\n  name: x\n', 'k.yaml'))).toThrowError(
      /without apiVersion and kind/,
    );
  });

  it('ignores kinds it does not need and reports a missing file clearly', async () => {
    const snapshot = buildSnapshot(
      parseManifestText('apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: x\n', 'x.yaml'),
    );
    expect(snapshot.workloads).toHaveLength(0);
    await expect(readManifests(['/definitely/not/here.yaml'])).rejects.toThrowError(
      /no such file or directory/,
    );
  });

  it('accepts v1beta1 Istio objects and objects without a namespace (default)', () => {
    const snapshot = buildSnapshot(
      parseManifestText(PA.replace('/v1', '/v1beta1').replace('  namespace: foo\n', ''), 'b.yaml'),
    );
    expect(snapshot.peerAuthentications[0]?.meta.namespace).toBe('default');
  });
});
