// Text renderers strip terminal control characters from the data they print: certificate subjects,
// matrix rows, digest lines and gap reasons come from clusters and manifests.
import { describe, expect, it } from 'vitest';
import type { MatrixResult } from '../../src/engine/matrix.js';
import type { CertificateRow } from '../../src/render/certs.js';
import { renderCertsText } from '../../src/render/certs.js';
import { renderDigestText } from '../../src/render/digest.js';
import { renderMatrixText } from '../../src/render/matrix-text.js';
import { oneLine, sanitizeText } from '../../src/render/sanitize.js';
import { controlCharacters } from '../helpers/control-chars.js';

const EVIL = 'a\u001b[8mhidden\u001b[0m\u001b]0;title\u0007\u009b2J\u0000\r\u007f\u202eb';

describe('text output sanitiser', () => {
  it('removes escape sequences whole and every other control character, keeps newlines, tabs and text', () => {
    expect(sanitizeText(EVIL)).toBe('ahiddenb');
    expect(sanitizeText('line\n\tindented — ünïcode')).toBe('line\n\tindented — ünïcode');
  });

  it('matrix, certs and digest text carry none of them', () => {
    const matrix: MatrixResult = {
      pairs: [
        {
          from: `shop/${EVIL}`,
          to: 'pay/pay:80',
          outcome: 'fail',
          client: { proxy: 'none', tls: 'DISABLE' },
          server: { proxy: 'sidecar', mode: 'STRICT' },
          reason: EVIL,
          symptom: EVIL,
        },
      ],
      skippedTargets: [EVIL],
    };
    const row: CertificateRow = {
      owner: { kind: 'Secret', namespace: 'istio-system', name: 'cacerts' },
      key: 'ca-cert.pem',
      role: 'ca-cert',
      subject: `CN=${EVIL}`,
      issuer: EVIL,
      serialNumber: '01',
      notBefore: '2026-01-01T00:00:00.000Z',
      notAfter: '2027-01-01T00:00:00.000Z',
      daysLeft: 30,
      fingerprint256: 'AA',
    };
    const digest = {
      posture: { takenAt: '2026-11-29', meshMode: 'STRICT', score: 50, namespaces: [] },
      changes: [{ namespace: 'shop', what: EVIL }],
    };
    for (const text of [
      renderMatrixText(matrix, { color: false }),
      renderCertsText([row], [], [{ source: EVIL, reason: EVIL }], false),
      renderDigestText(digest),
    ]) {
      expect(text).toContain('ahiddenb');
      expect(controlCharacters(text)).toEqual([]);
    }
  });

  it('a gap reason is one line in the certs text, as in the check text', () => {
    expect(oneLine(`a${EVIL}\n  No mTLS problems found\n`)).toBe('aahiddenb No mTLS problems found ');
    const text = renderCertsText(
      [],
      [],
      [{ source: 'pods list', reason: 'denied\nNo mTLS problems found' }],
      false,
    );
    expect(text).toContain('  ? pods list: denied No mTLS problems found\n');
  });
});
