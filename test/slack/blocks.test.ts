import { describe, expect, it } from 'vitest';
import { finding } from '../../src/analyzers/finding.js';
import { diagnose } from '../../src/engine/diagnose.js';
import { setPeerAuthenticationMode } from '../../src/remediation/plans.js';
import { diagnosisMessage, escapeSlack, LIMITS } from '../../src/render/blocks.js';
import { app, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

describe('Block Kit diagnosis', () => {
  it('escapes &, < and > so cluster text cannot mention @channel or forge links', () => {
    expect(escapeSlack('<!channel> & <https://evil|click>')).toBe(
      '&lt;!channel&gt; &amp; &lt;https://evil|click&gt;',
    );
  });

  it('keeps to 50 blocks a message and continues long diagnoses in the thread, whole findings together', () => {
    const diagnosis = diagnose(snapshotOf(strictNamespaces(60)));
    const message = diagnosisMessage(diagnosis, { title: 'mTLS check' });
    const all = [message.blocks, ...message.thread.map((t) => t.blocks)];
    expect(message.thread.length).toBeGreaterThan(0);
    for (const blocks of all) {
      expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
      // A finding's buttons never start a page without the finding's text.
      expect(blocks[0]?.type).not.toBe('actions');
      for (const block of blocks) {
        const text = (block as { text?: { text: string } }).text?.text ?? '';
        expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      }
    }
    const sections = all
      .flat()
      .filter((b) => b.type === 'section' && JSON.stringify(b).includes('strict-plaintext-clients'));
    expect(sections).toHaveLength(60);
    expect(JSON.stringify(message.blocks.at(-1))).toContain('Continued in the thread');
  });

  // Slack refuses a message whose blocks hold more than about 13,000 characters (msg_blocks_too_long):
  // ten findings with their buttons already pass it, well below 50 blocks.
  for (const findings of [10, 60]) {
    it(`keeps each message of a ${findings}-finding diagnosis within Slack's 13,000 characters of blocks`, () => {
      const message = diagnosisMessage(diagnose(snapshotOf(strictNamespaces(findings))), {
        title: 'mTLS check',
      });
      const all = [message.blocks, ...message.thread.map((t) => t.blocks)];
      for (const blocks of all) expect(JSON.stringify(blocks).length).toBeLessThan(13_000);
      const shown = all.flat().filter((b) => JSON.stringify(b).includes('strict-plaintext-clients'));
      expect(shown.filter((b) => b.type === 'section')).toHaveLength(findings);
    });
  }

  it('buttons carry the plan id and a digest of the plan, with unique action ids within Slack limits', () => {
    const pa = snapshotOf(peerAuthentication('x'.repeat(60), 'y'.repeat(250), 'STRICT'))
      .peerAuthentications[0];
    if (!pa) throw new Error('no policy');
    const big = finding({
      code: 'strict-plaintext-clients',
      message: 'm'.repeat(5000),
      fix: 'f',
      resource: { kind: 'PeerAuthentication', namespace: 'x', name: 'y' },
      remediations: [setPeerAuthenticationMode(pa, 'PERMISSIVE')],
    });
    const diagnosis = { ...diagnose(snapshotOf('')), findings: [big, big] };
    const message = diagnosisMessage(diagnosis, { title: 't' });
    const buttons = message.blocks
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements as { action_id: string; value: string; text: { text: string } }[]);
    expect(buttons).toHaveLength(2);
    expect(new Set(buttons.map((b) => b.action_id)).size).toBe(2);
    for (const b of buttons) {
      expect(b.value.length).toBeLessThanOrEqual(LIMITS.buttonValue);
      expect(b.value).toMatch(/^set-mode-permissive:PeerAuthentication\/x+\/y+#[0-9a-f]{12}$/);
      expect(b.action_id.length).toBeLessThanOrEqual(LIMITS.actionId);
      expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.buttonText);
    }
    const section = message.blocks.find((b) => b.type === 'section') as unknown as { text: { text: string } };
    expect(section.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(section.text.text).toMatch(/_… \d+ more characters not shown_$/);
  });

  it('says "incomplete" in the header when something could not be read', () => {
    const snapshot = {
      ...snapshotOf(''),
      gaps: [{ source: 'pods list (all namespaces)', reason: 'forbidden' }],
    };
    const message = diagnosisMessage(diagnose(snapshot), { title: 'mTLS check of x' });
    expect(JSON.stringify(message.blocks[0])).toContain('Incomplete');
    expect(JSON.stringify(message.blocks)).toContain('Could not check');
  });

  it('says in the first message that errors were found on a partial read, and what could not be read', () => {
    const snapshot = {
      ...snapshotOf(strictNamespaces(30)),
      gaps: [{ source: 'destinationrules list (all namespaces)', reason: 'forbidden' }],
    };
    const message = diagnosisMessage(diagnose(snapshot), { title: 'mTLS check' });
    expect(message.thread.length).toBeGreaterThan(0);
    expect(message.text).toBe(
      'mTLS check: 30 error(s), 0 warning(s) in all namespaces (incomplete: could not read destinationrules list (all namespaces))',
    );
    expect(JSON.stringify(message.blocks[0])).toContain('(incomplete: could not read destinationrules');
    // Right below the counts, before the findings.
    expect(JSON.stringify(message.blocks[2])).toContain('Could not check');
    expect(JSON.stringify(message.thread)).not.toContain('Could not check');
  });
});

/** A client without a sidecar and `count` STRICT namespaces it calls: one error finding each. */
function strictNamespaces(count: number): string {
  let yaml = namespace('legacy', 'none') + app('legacy', 'client');
  for (let i = 0; i < count; i++)
    yaml += namespace(`ns-${i}`) + app(`ns-${i}`, 'api') + peerAuthentication(`ns-${i}`, 'default', 'STRICT');
  return yaml;
}
