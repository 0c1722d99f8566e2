// The fix diff's sections when it is too long for a message: the changed lines stay, with a line of
// context each side, and every run of unchanged lines left out is counted where it was.
import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { DIFF_BUDGET, diffBlocks } from '../../commands/serve/diff-blocks.js';

const texts = (blocks: ReturnType<typeof diffBlocks>) => blocks.map((b) => (b.text as { text: string }).text);

describe('diff blocks', () => {
  it('a diff over the budget keeps every changed line and counts the unchanged ones it leaves out', () => {
    const before = Array.from({ length: 400 }, (_, i) => `key-${i}: value-${i}`);
    const after = before.map((l, i) => (i % 10 === 5 ? `${l} & changed` : l));
    const diff = createTwoFilesPatch('a', 'b', `${before.join('\n')}\n`, `${after.join('\n')}\n`);
    expect(diff.length).toBeGreaterThan(DIFF_BUDGET);
    const shown = texts(diffBlocks(diff, 'see the CLI'));
    expect(shown.join('').length).toBeLessThanOrEqual(DIFF_BUDGET);
    // The diff's lines, wherever a section boundary falls.
    const all = shown.join('\n').replaceAll('```', '\n').split('\n').filter(Boolean).join('\n');
    for (const text of shown) expect(text.length).toBeLessThanOrEqual(3000);
    for (let i = 5; i < 400; i += 10) {
      expect(all).toContain(`-key-${i}: value-${i}\n+key-${i}: value-${i} &amp; changed`);
    }
    expect(all).toContain(' key-394: value-394\n-key-395');
    expect(all).toContain(' ⋯ 3 unchanged lines');
    expect(all).not.toContain('not shown');
  });

  it('a line longer than a section is split across sections, not cut', () => {
    const long = `annotation: ${'x'.repeat(7000)}`;
    const diff = createTwoFilesPatch('a', 'b', 'a: 1\n', `a: 1\n${long}\n`);
    const shown = texts(diffBlocks(diff, 'see the CLI'));
    for (const text of shown) expect(text.length).toBeLessThanOrEqual(3000);
    expect(shown.join('').replaceAll('```', '')).toContain(`+${long}`);
  });
});

describe('diff blocks hold what the cluster wrote', () => {
  it('a ``` in an object cannot close the code block and format the rest as the bot’s words', () => {
    const diff =
      '+  annotations:\n+    note: "```\\n*Approved by security* <!channel>"\n+    mode: DISABLE\n';
    for (const text of texts(diffBlocks(diff, 'see the CLI'))) {
      expect(text.split('```')).toHaveLength(3);
      expect(text).toContain('&lt;!channel&gt;');
    }
  });

  it('a line longer than a section is never split inside an emoji', () => {
    const diff = `+  note: ${'😀'.repeat(2000)}\n`;
    for (const text of texts(diffBlocks(diff, 'see the CLI', 20_000))) {
      const body = text.replaceAll('```', '');
      expect(body).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    }
  });
});
