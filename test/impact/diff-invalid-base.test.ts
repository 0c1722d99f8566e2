// An object of the base the analysis cannot read (a PeerAuthentication `mode: STRCT` the pull request
// fixes) is left out of the base and named there, `base at REF: file:line`: the diff runs, the fixed
// object reads as added, and nothing about the change goes unchecked. The -f side stays strict.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { gitIn } from '../helpers/git-repo.js';
import { app, namespace, peerAuthentication } from '../helpers/mesh.js';
import { runCli } from '../helpers/run-cli.js';

const NOW = new Date('2026-11-29T00:00:00Z');
const APPS = `${namespace('a')}${namespace('b')}${app('a', 'client')}${app('b', 'server')}`;
const TYPO = peerAuthentication('b', 'default', 'STRCT');
const FIXED = peerAuthentication('b', 'default', 'PERMISSIVE');
const PROBLEM =
  'PeerAuthentication b/default: spec.mtls.mode: Invalid option: expected one of "UNSET"|"DISABLE"|"PERMISSIVE"|"STRICT"';
const MEANING =
  'not a valid object, so the base is compared without it (its version after the change, if any, reads as added)';

const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-invalid-base-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (path: string, text: string) => {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
};
const diff = (...args: string[]) => runCli(['diff', ...args], { cwd: dir, now: NOW });

describe('an invalid object in the base', () => {
  write('before/apps.yaml', APPS);
  write('before/pa.yaml', TYPO);
  write('after/apps.yaml', APPS);
  write('after/pa.yaml', FIXED);

  it('--base: left out and noted at its base line; the fix reads as added; exit 0, no "Could not check"', async () => {
    const run = await diff('--base', 'before', '-f', 'after');
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`Notes (1)\n  - base: before/pa.yaml:9: ${PROBLEM} — ${MEANING}\n`);
    expect(run.stdout).toContain('added    PeerAuthentication b/default (after/pa.yaml:2)');
    expect(run.stdout).not.toContain('Could not check');
    expect(run.stdout).toContain('breaks nothing');
    expect(run.code).toBe(EXIT.ok);

    const json = JSON.parse((await diff('--base', 'before', '-f', 'after', '-o', 'json')).stdout);
    expect(json.notes).toEqual([`base: before/pa.yaml:9: ${PROBLEM} — ${MEANING}`]);
    expect(json.gaps).toEqual([]);
    const markdown = (await diff('--base', 'before', '-f', 'after', '-o', 'markdown')).stdout;
    expect(markdown).toContain('#### Notes\n\n- base: before/pa.yaml:9:');
    const sarif = JSON.parse((await diff('--base', 'before', '-f', 'after', '-o', 'sarif')).stdout);
    expect(sarif.runs[0].invocations[0]).toMatchObject({
      executionSuccessful: true,
      toolExecutionNotifications: [
        { level: 'note', message: { text: expect.stringMatching(/^base: before/) } },
      ],
    });
  });

  it('--base-ref: named as the base at the ref, not as the valid working-tree file', async () => {
    const repo = join(dir, 'repo');
    write('repo/mesh/apps.yaml', APPS);
    write('repo/mesh/pa.yaml', TYPO);
    const git = gitIn(repo);
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-qm', 'typo');
    write('repo/mesh/pa.yaml', FIXED);
    const run = await runCli(['diff', '--base-ref', 'main', '-f', 'mesh'], { cwd: repo, now: NOW });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`  - base at main: mesh/pa.yaml:9: ${PROBLEM} — ${MEANING}\n`);
    expect(run.code).toBe(EXIT.ok);
  });

  it('a base that cannot be parsed still stops the diff, and the message says it is the base', async () => {
    write('unparsable/pa.yaml', 'kind: [\n');
    const run = await diff('--base', 'unparsable', '-f', 'after');
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/^mtls-doctor: base: unparsable\/pa\.yaml:\d+: /);
  });

  it('the same object on the -f side is still bad input at its line, exit 2', async () => {
    const run = await diff('--base', 'after', '-f', 'before');
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toBe(`mtls-doctor: before/pa.yaml:9: ${PROBLEM}\n`);
  });
});
