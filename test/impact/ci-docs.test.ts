// The CI jobs in docs/ are valid YAML, and every `mtls-doctor diff` they run is a valid invocation: run
// through the real CLI in a git checkout shaped like the documented one.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers/run-cli.js';

const TASKS = 'test/fixtures/istio-io-tasks';

/** The shell lines of each job, as the CI runner would run them. */
function scriptLines(file: string): string[] {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (file.includes('github')) {
    const jobs = doc.jobs as Record<string, { steps: { run?: string }[] }>;
    return Object.values(jobs).flatMap((job) => job.steps.flatMap((s) => (s.run ? s.run.split('\n') : [])));
  }
  return Object.values(doc)
    .filter((job): job is { script: string[] } => typeof job === 'object' && job !== null && 'script' in job)
    .flatMap((job) => job.script);
}

/** `npx mtls-doctor diff ...` → the CLI's argv, with CI variables set to `main`, redirections dropped. */
function diffArgv(line: string): string[] | undefined {
  const at = line.indexOf('npx mtls-doctor ');
  if (at < 0) return undefined;
  const command = line
    .slice(at + 'npx mtls-doctor '.length)
    .replace(/\$\{\{ github\.base_ref \}\}/g, 'main')
    .replace(/\$CI_MERGE_REQUEST_TARGET_BRANCH_NAME/g, 'main')
    .split(/ (?:>|\|\||\|) /)[0] as string;
  return command.split(' ').map((token) => token.replace(/^"|"$/g, ''));
}

describe('CI jobs in docs/', () => {
  const repo = mkdtempSync(join(tmpdir(), 'mtls-doctor-ci-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repo,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.com',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.com',
      },
    });
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
      const commands = scriptLines(file)
        .map(diffArgv)
        .filter((a): a is string[] => !!a);
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
