// `diff --base-ref` reads committed symbolic links as links: a manifest folder of links to shared files
// is the same base as its working tree, and a link leading out of the repository is named.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { gitIn } from '../helpers/git-repo.js';
import { app, namespace, peerAuthentication } from '../helpers/mesh.js';
import { runCli } from '../helpers/run-cli.js';

const NOW = new Date('2026-11-29T00:00:00Z');

function repository() {
  const repo = mkdtempSync(join(tmpdir(), 'mtls-doctor-git-links-'));
  const git = gitIn(repo);
  const write = (path: string, text: string) => {
    mkdirSync(join(repo, path, '..'), { recursive: true });
    writeFileSync(join(repo, path), text);
  };
  const link = (path: string, target: string) => {
    mkdirSync(join(repo, path, '..'), { recursive: true });
    symlinkSync(target, join(repo, path));
  };
  const commit = () => {
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-qm', 'base');
  };
  const diff = (...args: string[]) =>
    runCli(['diff', '--base-ref', 'main', ...args], { cwd: repo, now: NOW });
  return { repo, write, link, commit, diff };
}

const APPS = `${namespace('a')}${namespace('b')}${namespace('legacy', 'none')}${app('a', 'client')}${app('b', 'server')}${app('legacy', 'plain')}`;

describe('diff --base-ref with committed symbolic links', () => {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it('links to files elsewhere in the repository: unchanged is no change; a change shows at the link', async () => {
    const r = repository();
    made.push(r.repo);
    r.write('shared/apps.yaml', APPS);
    r.write('shared/policy.yaml', peerAuthentication('b', 'default', 'PERMISSIVE'));
    r.link('mesh/apps.yaml', '../shared/apps.yaml');
    r.link('mesh/policy.yaml', '../shared/policy.yaml');
    r.commit();
    const same = await r.diff('-f', 'mesh');
    expect(same.stderr).toBe('');
    expect(same.stdout).toContain('breaks nothing');
    expect(same.code).toBe(EXIT.ok);

    r.write('shared/policy.yaml', peerAuthentication('b', 'default', 'STRICT'));
    const changed = await r.diff('-f', 'mesh');
    expect(changed.stdout).toContain('modified PeerAuthentication b/default (mesh/policy.yaml:2)');
    expect(changed.stdout).toContain('✗ legacy/plain → b/server:80');
    expect(changed.code).toBe(EXIT.findings);
  });

  it('a linked folder, given as -f or reached through a link, is read at the ref', async () => {
    const r = repository();
    made.push(r.repo);
    r.write('shared/all.yaml', APPS + peerAuthentication('b', 'default', 'PERMISSIVE'));
    r.link('mesh', 'shared');
    r.link('deploy/current', '../mesh');
    r.commit();
    for (const path of ['mesh', 'deploy/current', 'deploy']) {
      const run = await r.diff('-f', path);
      expect(run.stderr, path).toBe('');
      expect(run.code, path).toBe(EXIT.ok);
    }
  });

  it('a link out of the repository is a clear error, exit 2', async () => {
    const r = repository();
    made.push(r.repo);
    r.write('mesh/apps.yaml', APPS);
    r.link('mesh/outside.yaml', '/etc/hostname');
    r.commit();
    const run = await r.diff('-f', 'mesh');
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toBe(
      'mtls-doctor: --base-ref main: mesh/outside.yaml is a symbolic link to /etc/hostname, outside the repository; the base is read from the repository at the ref only\n',
    );
  });

  it('-f paths are literal, not git pathspec magic', async () => {
    const r = repository();
    made.push(r.repo);
    // As pathspec magic, `:!mesh` would be "all but mesh", which git ls-tree refuses.
    r.write(':!mesh/apps.yaml', APPS);
    r.commit();
    const run = await r.diff('-f', ':!mesh');
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('breaks nothing, repairs 0 call(s) (0 object(s) changed');
  });
});
