// The CI jobs in docs/ are valid YAML, and every `mtls-doctor diff` they run is a valid invocation: run
// through the real CLI in a git checkout shaped like the documented one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gitIn } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';

const TASKS = 'test/fixtures/istio-io-tasks';

/** The shell of each job: install lines, then the lines that run the diff, as the CI runner runs them. */
function jobShell(file: string): { install: string[]; diff: string[] } {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (file.includes('github')) {
    const jobs = doc.jobs as Record<string, { steps: { name?: string; run?: string }[] }>;
    const steps = Object.values(jobs).flatMap((job) => job.steps);
    const lines = (name: string) =>
      steps
        .filter((s) => s.name?.startsWith(name) && s.run)
        .flatMap((s) => (s.run as string).trim().split('\n'));
    return { install: lines('Install mtls-doctor'), diff: lines('What the change breaks') };
  }
  const jobs = Object.values(doc).filter(
    (job): job is { before_script: string[]; script: string[] } =>
      typeof job === 'object' && job !== null && 'script' in job,
  );
  return {
    install: jobs.flatMap((job) => job.before_script ?? []),
    // The base branch is already a ref of the test checkout: nothing to fetch.
    diff: jobs.flatMap((job) => job.script).filter((line) => !line.startsWith('git fetch')),
  };
}

/** CI variables as the runner sets them for a pull request against `main`. */
function expand(line: string): string {
  return line
    .replace(/\$\{\{ github\.base_ref \}\}/g, 'main')
    .replace(/\$CI_MERGE_REQUEST_TARGET_BRANCH_NAME/g, 'main');
}

/** Each `mtls-doctor diff ...` of the lines → the CLI's argv, redirections dropped. */
function diffArgvs(lines: readonly string[]): string[][] {
  return lines.flatMap((line) => {
    const at = line.indexOf('mtls-doctor diff ');
    if (at < 0) return [];
    const command = expand(line)
      .slice(expand(line).indexOf('mtls-doctor diff ') + 'mtls-doctor '.length)
      .split(/ (?:>|\|\||\|) /)[0] as string;
    return [command.split(' ').map((token) => token.replace(/^"|"$/g, ''))];
  });
}

describe('CI jobs in docs/', () => {
  const repo = mkdtempSync(join(tmpdir(), 'mtls-doctor-ci-'));
  const git = gitIn(repo);
  beforeAll(() => {
    // The base branch locks nothing down; the pull request makes foo STRICT.
    mkdirSync(join(repo, 'deploy', 'mesh'), { recursive: true });
    writeFileSync(
      join(repo, 'deploy/mesh/cluster.yaml'),
      readFileSync(`${TASKS}/mtls-migration-a-setup/manifests.yaml`),
    );
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-qm', 'base');
    git('update-ref', 'refs/remotes/origin/main', 'HEAD');
    writeFileSync(
      join(repo, 'deploy/mesh/cluster.yaml'),
      readFileSync(`${TASKS}/mtls-migration-b-lock-down-foo/manifests.yaml`),
    );
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  for (const file of ['docs/ci/github-actions.yml', 'docs/ci/gitlab-ci.yml']) {
    it(`${file}: valid YAML whose diff commands run as documented`, async () => {
      const commands = diffArgvs(jobShell(file).diff);
      expect(commands.length).toBeGreaterThanOrEqual(2);
      const formats = new Set<string>();
      for (const argv of commands) {
        expect(argv.slice(0, 3)).toEqual(['diff', '--base-ref', 'origin/main']);
        const run = await runCli(argv, { cwd: repo });
        expect(run.stderr).toBe('');
        expect(run.code).toBe(1);
        const format = argv[argv.indexOf('-o') + 1] as string;
        formats.add(format);
        if (format === 'markdown') expect(run.stdout).toContain(':x: **Breaks 2 call(s)**');
        if (format === 'sarif') expect(JSON.parse(run.stdout).runs[0].results).toHaveLength(2);
      }
      expect([...formats].sort()).toEqual(['markdown', 'sarif']);
    });

    it(`${file}: installs a pinned mtls-doctor (the package is not on the npm registry), never npx`, () => {
      const { install, diff } = jobShell(file);
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain('npx ');
      expect(text).toMatch(/MTLS_DOCTOR_REF: v\d+\.\d+\.\d+/);
      expect(install.join('\n')).toMatch(/git clone .*--branch "\$MTLS_DOCTOR_REF"/);
      expect(install.join('\n')).toContain('npm install --global');
      expect(diff.length).toBeGreaterThan(0);
    });

    it(`${file}: run by the shell as the runner runs it, the job records the breakage (exit 1) and writes both reports`, () => {
      // `mtls-doctor` on PATH is this checkout's CLI, as the install step leaves it.
      const bin = mkdtempSync(join(tmpdir(), 'mtls-doctor-bin-'));
      writeFileSync(
        join(bin, 'mtls-doctor'),
        `#!/bin/sh\nexec "${process.execPath}" "${join(process.cwd(), 'bin/mtls-doctor.js')}" "$@"\n`,
        { mode: 0o755 },
      );
      const outputs = join(bin, 'github-output');
      writeFileSync(outputs, '');
      const script = ['set -eo pipefail', ...jobShell(file).diff.map(expand)].join('\n');
      const result = spawnSync('bash', ['-c', script], {
        cwd: repo,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, GITHUB_OUTPUT: outputs },
        encoding: 'utf8',
      });
      try {
        if (file.includes('github')) {
          expect(result.status).toBe(0);
          expect(readFileSync(outputs, 'utf8')).toBe('exit=1\n');
        } else expect(result.status).toBe(1);
        expect(readFileSync(join(repo, 'mtls-diff.md'), 'utf8')).toContain(':x: **Breaks 2 call(s)**');
        expect(JSON.parse(readFileSync(join(repo, 'mtls-diff.sarif'), 'utf8')).runs[0].results).toHaveLength(
          2,
        );
      } finally {
        rmSync(bin, { recursive: true, force: true });
        rmSync(join(repo, 'mtls-diff.md'), { force: true });
        rmSync(join(repo, 'mtls-diff.sarif'), { force: true });
      }
    });
  }

  it('docs/ci.md shows both files exactly as they are', () => {
    const doc = readFileSync('docs/ci.md', 'utf8');
    for (const file of ['docs/ci/github-actions.yml', 'docs/ci/gitlab-ci.yml'])
      expect(doc).toContain(`\`\`\`yaml\n${readFileSync(file, 'utf8')}\`\`\``);
  });

  it('diff --help documents the options the jobs use', async () => {
    const run = await runCli(['diff', '--help']);
    expect(run.code).toBe(0);
    for (const option of [
      '--base-ref <gitref>',
      '-f, --file <path>',
      '-o, --output <format>',
      '--what-if <change>',
    ])
      expect(run.stdout).toContain(option);
    expect(run.stdout.replace(/\s+/g, ' ')).toContain('choices: "text", "json", "sarif", "markdown"');
  });
});
