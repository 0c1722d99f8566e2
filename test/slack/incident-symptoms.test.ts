import { describe, expect, it } from 'vitest';
import { findSymptom, IncidentThrottle, MAX_SCANNED_CHARS } from '../../src/slack/incident-symptoms.js';

describe('incident symptoms', () => {
  it.each([
    [
      'Envoy reset with the cluster name',
      '503 upstream connect error or disconnect/reset before headers. reset reason: connection failure (outbound|8080||payments.prod.svc.cluster.local)',
      { service: 'payments', namespace: 'prod' },
    ],
    [
      "Go's x509 error with an FQDN",
      'Get "https://cart.shop.svc.cluster.local:8443/": x509: certificate signed by unknown authority',
      { service: 'cart', namespace: 'shop' },
    ],
    [
      'OpenSSL verify failure, service and namespace in words',
      'CERTIFICATE_VERIFY_FAILED calling service=orders in namespace=sales',
      { service: 'orders', namespace: 'sales' },
    ],
    [
      'kubectl describe output, its columns aligned with spaces',
      'upstream connect error or disconnect/reset before headers\nName:         payments\nNamespace:    prod\n',
      { namespace: 'prod' },
    ],
    [
      'an alert template aligned with spaces and a tab',
      'TLS error\nservice:       payments\nseverity: page\nnamespace:\tprod',
      { service: 'payments', namespace: 'prod' },
    ],
    [
      'a one-line alert whose service and namespace sit far apart',
      `[alertmanager namespace=monitoring] connection reset by peer service=payments ${'summary text '.repeat(45)} namespace=prod`,
      { service: 'payments', namespace: 'prod' },
    ],
    [
      'a reset with only a service name',
      'read tcp: connection reset by peer (service: inventory)',
      { service: 'inventory', namespace: undefined },
    ],
  ])('%s', (_name, text, expected) => {
    expect(findSymptom(text)).toMatchObject(expected);
  });

  it('a service name of 63 characters (the longest a Service has) is still found', () => {
    const name = `s${'-a'.repeat(31)}`;
    expect(findSymptom(`TLS error: ${name}.prod.svc.cluster.local`)).toMatchObject({
      service: name,
      namespace: 'prod',
    });
  });

  // Each case took seconds on the bot's event loop with patterns that retried every position.
  it.each([
    ['a 40,000-character hyphenated token', `connection reset by peer ${'a-'.repeat(19_980)}`],
    [
      'thousands of "service=" with no namespace',
      `connection reset by peer ${'service=a-a-a-a-a '.repeat(2_200)}`,
    ],
    ['a long run of dotted labels', `TLS error ${'ab-c.'.repeat(3_900)}`],
    [
      'one long line of "service:" with wide separators',
      `TLS error ${'service:                   a '.repeat(700)}`,
    ],
  ])('a hostile message is scanned in time linear in its length: %s', (_name, text) => {
    const started = performance.now();
    const symptom = findSymptom(text);
    const ms = performance.now() - started;
    expect(symptom?.quote).toMatch(/connection reset by peer|TLS error/);
    expect(symptom?.namespace).toBeUndefined();
    // A loose bound: milliseconds now, seconds before.
    expect(ms).toBeLessThan(250);
  });

  it(`scans only the first ${MAX_SCANNED_CHARS} characters of a message`, () => {
    const filler = (n: number) => `${'x'.repeat(99)}\n`.repeat(Math.ceil(n / 100)).slice(0, n);
    const at = (offset: number, what: string) => `${filler(offset)}${what}`;
    const fqdn = ' outbound|8080||payments.prod.svc.cluster.local';
    const inside = at(MAX_SCANNED_CHARS - 200, `connection reset by peer${fqdn}`);
    expect(findSymptom(inside)).toMatchObject({ service: 'payments', namespace: 'prod' });
    // The symptom inside, the service named past the limit: the symptom alone.
    const serviceOutside = `connection reset by peer\n${filler(MAX_SCANNED_CHARS)}${fqdn}`;
    expect(findSymptom(serviceOutside)).toEqual({
      quote: 'connection reset by peer',
      namespace: undefined,
      service: undefined,
    });
    expect(findSymptom(at(MAX_SCANNED_CHARS, `connection reset by peer${fqdn}`))).toBeUndefined();
  });

  it('ignores messages without an mTLS symptom', () => {
    expect(findSymptom('deploy of payments.prod.svc.cluster.local finished')).toBeUndefined();
  });

  it('throttles one diagnosis per service per cooldown, and a few per channel per window', () => {
    const throttle = new IncidentThrottle(30 * 60_000, 2, 10 * 60_000);
    expect(throttle.allow('C1', 'prod/payments', 0)).toBe(true);
    expect(throttle.allow('C1', 'prod/payments', 60_000)).toBe(false);
    expect(throttle.allow('C2', 'prod/payments', 60_000)).toBe(true);
    expect(throttle.allow('C1', 'prod/cart', 120_000)).toBe(true);
    expect(throttle.allow('C1', 'prod/orders', 180_000)).toBe(false);
    expect(throttle.allow('C1', 'prod/payments', 31 * 60_000)).toBe(true);
  });
});
