import { describe, expect, it } from 'vitest';
import { findSymptom, IncidentThrottle } from '../../src/slack/incident-symptoms.js';

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
      'a reset with only a service name',
      'read tcp: connection reset by peer (service: inventory)',
      { service: 'inventory', namespace: undefined },
    ],
  ])('%s', (_name, text, expected) => {
    expect(findSymptom(text)).toMatchObject(expected);
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
