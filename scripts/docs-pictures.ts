// Makes the README's pictures with the CLI: the heat map of examples/mesh, and a digest trend over 30
// days (a fixed clock) of that mesh migrating to STRICT namespace by namespace: the earlier days run
// the digest on copies without the STRICT PeerAuthentications not yet applied then.
// Run: npx tsx scripts/docs-pictures.ts  (writes docs/matrix-heatmap.png and docs/digest-trend.png)
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Io } from '../commands/cli-kit.js';
import { main } from '../commands/main.js';

const root = join(import.meta.dirname, '..');
const mesh = join(root, 'examples/mesh');
const now = new Date('2026-03-31T08:00:00Z');
const DAY = 86_400_000;
// Namespace → until how many days ago it ran without its STRICT PeerAuthentication.
const STRICT_SINCE = { catalog: 21, inventory: 14, payments: 14, reports: 6 } as const;
const SKIPPED_DAYS = new Set([18, 10]); // no digest those days (the bot was down)

const io = (at?: Date): Io => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTty: false,
  cwd: root,
  now: at,
});

const tmp = mkdtempSync(join(tmpdir(), 'mtls-docs-'));
try {
  const state = join(tmp, 'state.db');
  for (let daysAgo = 29; daysAgo >= 1; daysAgo--) {
    if (SKIPPED_DAYS.has(daysAgo)) continue;
    const day = join(tmp, `day-${daysAgo}`);
    cpSync(mesh, day, { recursive: true });
    for (const [ns, since] of Object.entries(STRICT_SINCE)) {
      if (daysAgo >= since) withoutPeerAuthentication(join(day, ns, 'workloads.yaml'));
    }
    await run(['digest', '-f', day, '--state', state], new Date(now.getTime() - daysAgo * DAY));
  }
  await run(
    ['digest', '-f', mesh, '--state', state, '-o', 'png', '--out', join(root, 'docs/digest-trend.png')],
    now,
  );
  await run(['matrix', '-f', mesh, '-o', 'png', '--out', join(root, 'docs/matrix-heatmap.png')], now);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

async function run(argv: string[], at: Date): Promise<void> {
  const quiet = !argv.includes('png');
  const code = await main(argv, quiet ? { ...io(at), stdout: () => {} } : io(at));
  // matrix exits 1 when pairs fail (they do in this mesh); anything else is a failure of this script.
  if (code > 1) throw new Error(`mtls-doctor ${argv.join(' ')} exited ${code}`);
}

function withoutPeerAuthentication(file: string): void {
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).filter(
    (d) => (d.toJS() as { kind?: string } | null)?.kind !== 'PeerAuthentication',
  );
  writeFileSync(file, docs.map((d) => d.toString()).join('---\n'));
}
