// No Docker engine here: test what the image would run. The final stage's user, entrypoint and copied
// files are read from the Dockerfile, and the entrypoint is run from a directory holding exactly those
// files with production dependencies only (as `npm prune --omit=dev` leaves them).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

describe('Dockerfile', () => {
  it('builds on a current Node LTS, runs as a non-root user and starts the bot', () => {
    const image = /ARG NODE_IMAGE=node:(\d+)[\w.-]*/.exec(dockerfile);
    expect(Number(image?.[1]) % 2).toBe(0);
    expect(Number(image?.[1])).toBeGreaterThanOrEqual(22);
    expect(finalStage).toMatch(/^USER 1000:1000$/m);
    expect(finalStage).toContain('ENTRYPOINT ["node", "/app/bin/mtls-doctor.js"]');
    expect(finalStage).toContain('CMD ["serve"]');
    expect(dockerfile).toContain('npm prune --omit=dev');
    expect(dockerfile).toMatch(/sha256sum -c -/);
  });

  it('the copied files run with production dependencies only', () => {
    const copied = [...finalStage.matchAll(/^COPY --from=build \S+ \/app\/(\S+) /gm)].map(
      (m) => m[1] as string,
    );
    // Of the build, only the bundle that bin/ runs (dist/cli/), not tsc's output.
    expect(copied.sort()).toEqual(['bin', 'dist/cli', 'node_modules', 'package.json']);
    const app = mkdtempSync(join(tmpdir(), 'mtls-doctor-image-'));
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
    for (const f of ['package.json', 'package-lock.json', 'bin', 'dist/cli'])
      cpSync(join(ROOT, f), join(app, f), { recursive: true });
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: app,
      stdio: 'ignore',
    });
    const run = spawnSync(
      'node',
      [
        join(app, 'bin/mtls-doctor.js'),
        'check',
        '-f',
        join(ROOT, 'examples/mesh'),
        '--no-istioctl',
        '-o',
        'json',
      ],
      {
        cwd: app,
        encoding: 'utf8',
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout).summary.verdict).toBe('problems-found');
    const serve = spawnSync('node', [join(app, 'bin/mtls-doctor.js'), 'serve'], {
      cwd: app,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(serve.status).toBe(2);
    expect(serve.stderr).toContain('SLACK_BOT_TOKEN is not set');
  }, 180_000);
});
