// The synthetic mesh as single files, the way big inputs arrive: one JSON List (`kubectl get -o json`)
// and one multi-document YAML stream. `npx tsx bench/mesh-files.ts DIR [FACTOR]` writes both.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BASE_SCALE, generateMesh, type MeshScale, scaled } from './generate-mesh.js';

export function writeMeshFiles(
  dir: string,
  scale: MeshScale,
): { json: string; yaml: string; objects: number } {
  const texts = [...generateMesh(scale).values()];
  const items = texts.flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as unknown));
  const json = join(dir, 'mesh.json');
  const yaml = join(dir, 'mesh.yaml');
  writeFileSync(json, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  writeFileSync(yaml, texts.map((t) => (t.startsWith('---') ? t : `---\n${t}`)).join('\n'));
  return { json, yaml, objects: items.length };
}

if (process.argv[1]?.endsWith('mesh-files.ts')) {
  const [dir = '.', factor = '2'] = process.argv.slice(2);
  console.log(writeMeshFiles(dir, scaled(BASE_SCALE, Number(factor))));
}
