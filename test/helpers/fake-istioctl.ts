// A fake `istioctl` executable: prints recorded output for `analyze -o json` and `proxy-config secret`,
// or hangs, or fails like the real one, and logs every argv it received.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeIstioctlBehaviour {
  /** hang-with-child: hangs, and starts a sleeping child that holds stdout open (a plugin, a daemon). */
  readonly mode: 'answer' | 'hang' | 'fail' | 'hang-with-child';
  readonly analyze?: string;
  /** `<pod>.<namespace>` → SecretsConfigDump JSON */
  readonly secrets?: Record<string, unknown>;
}

export interface FakeIstioctl {
  readonly path: string;
  calls(): string[][];
  /** The files `analyze` was given, with their text as they were while it ran. */
  filesSeen(): { path: string; text: string }[];
}

export function fakeIstioctl(behaviour: FakeIstioctlBehaviour): FakeIstioctl {
  const dir = mkdtempSync(join(tmpdir(), 'fake-istioctl-'));
  const config = join(dir, 'behaviour.json');
  const log = join(dir, 'calls.jsonl');
  const seen = join(dir, 'files.jsonl');
  writeFileSync(config, JSON.stringify(behaviour));
  writeFileSync(log, '');
  writeFileSync(seen, '');
  const script = `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
const b = JSON.parse(fs.readFileSync(${JSON.stringify(config)}, 'utf8'));
if (args[0] === 'analyze') for (const a of args.slice(1)) {
  try { if (fs.statSync(a).isFile()) fs.appendFileSync(${JSON.stringify(seen)}, JSON.stringify({ path: a, text: fs.readFileSync(a, 'utf8') }) + '\\n'); } catch {}
}
if (b.mode === 'hang-with-child') {
  require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: ['ignore', 'inherit', 'inherit'] });
  setInterval(() => {}, 1000);
} else if (b.mode === 'hang') setInterval(() => {}, 1000);
else if (b.mode === 'fail') {
  process.stderr.write('Error: failed to get config dump: the server could not find the requested resource\\n');
  process.exit(1);
} else if (args[0] === 'analyze') process.stdout.write(b.analyze ?? '[]');
else if (args[0] === 'proxy-config' && args[1] === 'secret') {
  const dump = (b.secrets ?? {})[args[2]];
  if (!dump) { process.stderr.write('Error: pod ' + args[2] + ' not found\\n'); process.exit(1); }
  process.stdout.write(JSON.stringify(dump, null, 4));
} else { process.stderr.write('unknown command\\n'); process.exit(64); }
`;
  const path = join(dir, 'istioctl');
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return {
    path,
    calls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string[]),
    filesSeen: () =>
      readFileSync(seen, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { path: string; text: string }),
  };
}

/** Envoy's SecretsConfigDump as `istioctl proxy-config secret -o json` prints it. */
export function secretDump(chainPem: string, rootPem: string): unknown {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    dynamicActiveSecrets: [
      {
        name: 'default',
        versionInfo: '2026-11-28 23:59:00.000000000 +0000 UTC m=+3600.000000001',
        lastUpdated: '2026-11-28T23:59:00.000Z',
        secret: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
          name: 'default',
          tlsCertificate: {
            certificateChain: { inlineBytes: b64(chainPem) },
            privateKey: { inlineBytes: 'W3JlZGFjdGVkXQ==' },
          },
        },
      },
      {
        name: 'ROOTCA',
        lastUpdated: '2026-11-20T05:41:32.118Z',
        secret: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
          name: 'ROOTCA',
          validationContext: { trustedCa: { inlineBytes: b64(rootPem) } },
        },
      },
    ],
  };
}
