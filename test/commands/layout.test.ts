// The house rules of issue #13, checked: commands/ on top, src/ a library that knows neither Slack
// nor commander, and each command loading only what it uses.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadedBy } from '../helpers/loaded-modules.js';

const root = join(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'mtls-imports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function loaded(args: string[]) {
  return loadedBy(args, join(tmp, `${args.join('-').replace(/[^a-z0-9-]/gi, '_')}.txt`));
}

describe('layout', () => {
  it('no module in src/ imports from commands/, commander or a Slack package', () => {
    for (const file of sources(join(root, 'src'))) {
      const text = readFileSync(file, 'utf8');
      const imports = [...text.matchAll(/^import\s(?!type\b)[^;]*?from '([^']+)'/gms)].map((m) => m[1]);
      for (const spec of imports) {
        expect(spec, file).not.toMatch(/(^|\/)commands\/|^commander$|^@slack\//);
      }
    }
  });

  it('has one module per user-facing command at the top level', () => {
    const modules = readdirSync(join(root, 'commands')).filter((f) => f.endsWith('.ts'));
    for (const command of ['check', 'matrix', 'certs', 'digest', 'fix', 'serve'])
      expect(modules).toContain(`${command}.ts`);
  });
});

describe('start-up loads only the command that runs', () => {
  it('--help loads no command module and none of the heavy clients', () => {
    const { packages, ours } = loaded(['--help']);
    expect([...packages]).toEqual(['commander']);
    expect(ours.filter((m) => !/^(commands\/(main|cli-kit)|src\/snapshot\/errors)\.ts$/.test(m))).toEqual([]);
  });

  it('check -f reads manifests without the Kubernetes client, Bolt, SQLite or the worker pool', () => {
    const { packages, ours } = loaded([
      'check',
      '-f',
      join(root, 'test/fixtures/field-guide/error1-strict-with-clients.yaml'),
      '--no-istioctl',
    ]);
    for (const heavy of ['@kubernetes/client-node', '@slack/bolt', 'better-sqlite3', 'piscina', 'pino'])
      expect(packages.has(heavy), heavy).toBe(false);
    expect(ours).toContain('commands/check.ts');
    expect(
      ours.filter((m) => m.startsWith('commands/') && /(serve|fix|matrix|digest|certs)/.test(m)),
    ).toEqual([]);
  });

  it('digest -f loads SQLite only when there is a --state to keep', () => {
    const mesh = join(root, 'examples/mesh');
    expect(loaded(['digest', '-f', mesh]).packages.has('better-sqlite3')).toBe(false);
    const state = join(tmp, 'digest-state.db');
    expect(loaded(['digest', '-f', mesh, '--state', state]).packages.has('better-sqlite3')).toBe(true);
  });

  it('serve --help and fix --help load none of the clients their actions need', () => {
    for (const command of ['serve', 'fix']) {
      const { packages, ours } = loaded([command, '--help']);
      for (const heavy of ['@kubernetes/client-node', '@slack/bolt', 'better-sqlite3', 'piscina'])
        expect(packages.has(heavy), `${command} --help loaded ${heavy}`).toBe(false);
      expect(ours).toContain(`commands/${command}.ts`);
    }
  });
});
