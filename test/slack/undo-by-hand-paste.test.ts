// The "Undo by hand" commands of a change alert, copied from Slack and pasted into a POSIX shell, give
// kubectl exactly the object (or patch) the alert shows: no `echo` that expands the backslashes of a
// ConfigMap's newlines or a regex, no zero-width space after a backtick from the code block's escaping.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import type { BreakingChange } from '../../src/snapshot/live/watch-alerts.js';
import { postAlert } from '../helpers/post-alert.js';

// Everything an echo, a shell or Slack could change on the way.
const tricky = "line\\n ```fence``` `tick` it's $HOME %s \\\\. \\t é ✓ \u2028 <a&b>";
const deleted = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'istio', namespace: 'istio-system', annotations: { note: tricky } },
  data: {
    mesh: 'defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\nenableAutoMtls: true\n',
    hosts: '^.*\\.example\\.com$',
  },
};
const patch = { metadata: { annotations: { note: tricky } } };

const alert: BreakingChange = {
  id: 1,
  broken: 1,
  sample: [{ from: 'legacy/cron-0', to: 'payments/payments:80', symptom: 'reset', reason: 'strict' }],
  namespaces: ['legacy', 'payments'],
  changes: [
    {
      kind: 'ConfigMap',
      namespace: 'istio-system',
      name: 'istio',
      type: 'DELETED',
      diff: '',
      resourceVersion: '9',
      revert: { apiVersion: 'v1', action: 'create', body: deleted, byHand: true },
    },
    {
      kind: 'Service',
      namespace: 'payments',
      name: 'payments',
      type: 'MODIFIED',
      diff: '',
      resourceVersion: '12',
      revert: { apiVersion: 'v1', action: 'merge-patch', body: patch, byHand: true },
    },
  ],
};

/** The commands as a reader copies them: each code block of "Undo by hand", Slack's escapes rendered. */
async function pastedCommands(): Promise<string[]> {
  const { posted } = await postAlert(alert);
  const text = (posted[0]?.blocks ?? []).map((b) => b.text?.text ?? '').join('\n');
  const undo = text.slice(text.indexOf('*Undo by hand*'));
  return [...undo.matchAll(/```([\s\S]*?)```/g)].map((m) =>
    (m[1] as string).replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&'),
  );
}

const shells = ['sh', 'bash'].filter((s) => existsSync(`/bin/${s}`) || existsSync(`/usr/bin/${s}`));

it.each(shells)(
  'the command that re-creates a deleted object gives kubectl that object, in %s',
  async (shell) => {
    const [create] = await pastedCommands();
    expect(create).toMatch(/^printf '%s\\n' '.*' \| kubectl create -f -$/);
    // kubectl stands in as `cat`: what it would read on stdin.
    const stdin = execFileSync(shell, ['-c', `kubectl() { cat; }\n${create}`], { encoding: 'utf8' });
    expect(JSON.parse(stdin)).toEqual(deleted);
  },
);

it.each(shells)('the command that patches a change back gives kubectl the patch, in %s', async (shell) => {
  const [, merge] = await pastedCommands();
  expect(merge).toMatch(/^kubectl patch service payments -n payments --type merge -p '/);
  // kubectl stands in as printing its last word: the patch.
  const script = `kubectl() { for word; do last=$word; done; printf '%s' "$last"; }\n${merge}`;
  const words = execFileSync(shell, ['-c', script], { encoding: 'utf8' });
  expect(JSON.parse(words)).toEqual({ metadata: { ...patch.metadata, resourceVersion: '12' } });
});
