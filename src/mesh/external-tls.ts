// Calls to a host outside the mesh (MESH_EXTERNAL): Istio never adds its own mTLS, so what reaches the
// server is the app's bytes, wrapped in TLS only where a DestinationRule originates it (SIMPLE/MUTUAL).
// What the app sends is known only from the port's protocol: Istio reads a ServiceEntry port with
// protocol.Parse(port.Protocol) (serviceentry/conversion.go), never from its name.

import type { ClientTlsMode } from '../snapshot/types.js';
import { portExpectsTls, type TargetPort } from './targets.js';

/** What the app itself sends on a port: its own TLS, plaintext, or bytes Istio does not read. */
export type AppTls = 'tls' | 'plaintext' | 'unknown';

/**
 * HTTPS and TLS: the app's own TLS (protocol.IsTLS). The HTTP protocols (IsHTTP: HTTP, HTTP2,
 * HTTP_PROXY, GRPC, GRPC-WEB): plaintext, which the sidecar's HTTP filters read. Anything else (unset,
 * which is sniffed, TCP, or a protocol Istio proxies as TCP) passes unread: TLS or not is unknown.
 */
export function appTlsOn(port: TargetPort): AppTls {
  switch ((port.protocol ?? '').toUpperCase()) {
    case 'HTTPS':
    case 'TLS':
      return 'tls';
    case 'HTTP':
    case 'HTTP2':
    case 'HTTP_PROXY':
    case 'GRPC':
    case 'GRPC-WEB':
      return 'plaintext';
    default:
      return 'unknown';
  }
}

/** Whether a server outside the mesh expects TLS on this port (its protocol or name, or the usual 443). */
export function externalServerWantsTls(port: TargetPort): boolean {
  return portExpectsTls(port) || port.targetPort === 443;
}

/** Why calls that a sidecar sends with `tls` fail at the external server. */
export type ExternalTlsFailure = 'istio-mtls' | 'double-tls' | 'tls-to-plaintext' | 'plaintext-to-tls';

/**
 * The failure of a sidecar's calls to an external port when it sends `tls` (DISABLE: the app's bytes
 * unchanged), or undefined when they work, or may: an app whose TLS is unknown may send what the
 * server wants, so no verdict is drawn from it.
 */
export function externalTlsFailure(port: TargetPort, tls: ClientTlsMode): ExternalTlsFailure | undefined {
  if (tls === 'ISTIO_MUTUAL') return 'istio-mtls'; // the server has no Istio certificate
  const app = appTlsOn(port);
  const serverWantsTls = externalServerWantsTls(port);
  if (tls === 'SIMPLE' || tls === 'MUTUAL') {
    if (app === 'tls') return 'double-tls';
    return serverWantsTls ? undefined : 'tls-to-plaintext';
  }
  return serverWantsTls && app === 'plaintext' ? 'plaintext-to-tls' : undefined;
}
