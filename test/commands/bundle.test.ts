// bin/mtls-doctor.js runs the esbuild bundle in dist/cli/ (issue #12: start-up). What it must keep:
// the fast commands read a few bundle files and no package file from node_modules, the heavy clients
// stay out of them, what finds files next to itself (the version, the answer worker) still finds them,
// and zod is bundled tree-shaken (not its 40 locales).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, slackSignature, slashCommandBody } from '../helpers/fake-slack.js';
import { bundleInputs, loadedBy } from '../helpers/loaded-modules.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/mtls-doctor.js');
const small = join(root, 'test/fixtures/field-guide/error1-strict-with-clients.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'mtls-bundle-'));

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root });
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function loaded(args: string[]) {
  return loadedBy(args, join(tmp, `${args.join('-').replace(/[^a-z0-9-]/gi, '_')}.txt`));
}

describe('the bundled CLI', () => {
  it('--help and check -f load only files of the bundle, none from node_modules', () => {
    for (const args of [['--help'], ['check', '-f', small, '--no-istioctl']]) {
      const { files, fromNodeModules, packages, ours } = loaded(args);
      expect([...fromNodeModules], args.join(' ')).toEqual([]);
      expect(
        files.filter((f) => !f.startsWith('dist/cli/') && f !== 'bin/mtls-doctor.js'),
        args.join(' '),
      ).toEqual([]);
      // Not vacuous: the packages and the command ran, compiled into those files.
      expect(packages.has('commander'), args.join(' ')).toBe(true);
      expect(ours, args.join(' ')).toContain('commands/main.ts');
    }
    const check = loaded(['check', '-f', small, '--no-istioctl']);
    for (const pkg of ['zod', 'yaml', 'js-yaml']) expect(check.packages.has(pkg), pkg).toBe(true);
    expect(check.ours).toContain('commands/check.ts');
  });

  it('--version reads the version from package.json next to the bundle', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toBe(version);
  });

  it('bundles zod without its locales other than English', () => {
    const inputs = [...bundleInputs().values()].flat();
    expect(inputs.some((i) => /node_modules\/zod\//.test(i))).toBe(true);
    expect(
      new Set(inputs.filter((i) => /zod\/v4\/locales\//.test(i)).map((i) => i.replace(/.*\//, ''))),
    ).toEqual(new Set(['en.js']));
  });
});

describe('serve from the bundle alone', () => {
  const SECRET = 'bundle-secret';
  let slack: FakeSlack;
  let bot: ServeProcess | undefined;
  afterAll(async () => {
    bot?.stop();
    await slack?.stop();
  });

  it('answers /mtls check through its answer worker with only bin/ and dist/cli/ installed', async () => {
    // What the image holds of ours: no tsc output, so the worker thread must come from the bundle too.
    const app = join(tmp, 'app');
    for (const path of ['package.json', 'bin', 'dist/cli'])
      cpSync(join(root, path), join(app, path), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'));
    slack = new FakeSlack();
    const slackUrl = await slack.start();
    const config = join(tmp, 'config.yaml');
    writeFileSync(config, 'access:\n  channels:\n    C0INCIDENT: ["*"]\n');
    bot = await startServe(['serve', '-f', join(root, 'examples/mesh'), '--config', config], {
      bin: join(app, 'bin/mtls-doctor.js'),
      slackUrl,
      secret: SECRET,
      token: 'xoxb-bundle-token',
    });
    const body = slashCommandBody({
      text: 'check shop',
      channel_id: 'C0INCIDENT',
      response_url: `${slackUrl}/respond/1`,
    });
    const answered = slack.waitFor('chat.update', 60_000);
    const ack = await fetch(bot.url, {
      method: 'POST',
      headers: slackSignature(SECRET, body, Math.floor(Date.now() / 1000)),
      body,
    });
    expect(ack.status).toBe(200);
    const update = await answered;
    expect(JSON.stringify(update.args)).toContain('shop');
    expect(bot.logs()).not.toMatch(/answer worker is not built|Error:/);
  }, 90_000);
});
