// What the bot posts must fit Slack's limits or it is refused and lost: a section holds 3,000
// characters, a message ~13,000 in its blocks (msg_blocks_too_long), an actions block 25 buttons and a
// button's text 75. Long texts are cut at a line end, with a code block closed and the cut said.
import { describe, expect, it } from 'vitest';
import { fitSection, LIMITS } from '../../src/render/blocks.js';
import type { BreakingChange, ChangedObject } from '../../src/snapshot/live/watch-alerts.js';
import { type PostedMessage, postAlert } from '../helpers/post-alert.js';

describe('fitSection', () => {
  it('keeps a short text as it is', () => {
    expect(fitSection('*hello*')).toBe('*hello*');
  });

  it('cuts a long code block at a line end, closes it and says how much is not shown', () => {
    const diff = Array.from({ length: 400 }, (_, i) => `+  line ${i}: a &amp; b`).join('\n');
    const text = fitSection(`*modified*\n\`\`\`${diff}\`\`\``);
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(text.split('```').length % 2).toBe(1);
    expect(text).toMatch(/\n```\n_… \d+ more characters not shown_$/);
    const body = text.slice(0, text.lastIndexOf('\n```'));
    expect(body.endsWith('a &amp; b')).toBe(true);
  });

  it('never ends inside an emoji', () => {
    for (const max of [100, 101]) {
      const text = fitSection('😀'.repeat(200), max);
      expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    }
  });

  it('never ends inside an escape when there is no line end to cut at', () => {
    const text = fitSection(`${'&amp;'.repeat(1000)}`, 100);
    expect(text.length).toBeLessThanOrEqual(100);
    expect(text).toMatch(/^(&amp;)+\n_… \d+ more characters not shown_$/);
  });
});

describe('a change alert for a burst of many objects', () => {
  it('fits one message: three diffs, the rest named, at most five Revert buttons with short labels', async () => {
    const change = (i: number): ChangedObject => ({
      kind: 'DestinationRule',
      namespace: 'shop',
      name: `${'a-very-long-destination-rule-name-'.repeat(3)}${i}`,
      type: 'MODIFIED',
      diff: Array.from(
        { length: 200 },
        (_, n) => `-    mode: ISTIO_MUTUAL ${n}\n+    mode: DISABLE ${n}`,
      ).join('\n'),
      resourceVersion: String(100 + i),
      revert: {
        apiVersion: 'networking.istio.io/v1',
        action: 'merge-patch',
        body: { spec: { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } } },
      },
    });
    const alert: BreakingChange = {
      id: 1,
      changes: Array.from({ length: 40 }, (_, i) => change(i)),
      broken: 120,
      sample: [
        { from: 'shop/web', to: 'shop/cart:80', symptom: 'TLS error' } as BreakingChange['sample'][number],
      ],
      namespaces: ['shop'],
    };
    const { posted } = await postAlert(alert);

    const { blocks } = posted[0] as PostedMessage;
    expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    expect(JSON.stringify(blocks).length).toBeLessThan(13_000);
    for (const b of blocks) expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(LIMITS.sectionText);
    const buttons = blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));
    expect(buttons).toHaveLength(5);
    for (const button of buttons) expect(button.text.text.length).toBeLessThanOrEqual(LIMITS.buttonText);
    const text = blocks.map((b) => b.text?.text ?? '').join('\n');
    expect(text).toContain('…and 37 more change(s) in the same burst, diffs not shown');
    expect(text).toContain('Revert buttons for the first 5 of 40 revertible changes');
    expect(text).toContain('more characters not shown');
  });
});
