// The protocol Istio gives a Service port (pkg/config/kube/conversion.go ConvertProtocol, then
// pkg/config/protocol/instance.go): the appProtocol if set, else the name's prefix before "-"; a name
// it does not know is sniffed, except on a few well-known TCP ports. UDP ports are not proxied.
import type { FilterChain } from './authorization.js';
import type { TargetPort } from './targets.js';

export type PortProtocol = 'http' | 'tcp' | 'sniffed';

const HTTP = new Set(['http', 'http2', 'http_proxy', 'grpc', 'grpc-web']);
const TCP = new Set(['tcp', 'https', 'tls', 'mongo', 'redis', 'mysql']);
// Kubernetes' own appProtocol names (conversion.go): h2c and ws are HTTP, wss is HTTPS (TCP).
const KUBERNETES_APP_PROTOCOLS: Record<string, PortProtocol> = {
  'kubernetes.io/h2c': 'http',
  'kubernetes.io/ws': 'http',
  'kubernetes.io/wss': 'tcp',
};
// SMTP, DNS, MySQL, MongoDB: TCP when the name says nothing (conversion.go wellKnownPorts).
const WELL_KNOWN_TCP_PORTS = new Set([25, 53, 3306, 27017]);

export function portProtocol(port: TargetPort): PortProtocol {
  const name = (port.appProtocol ?? port.name ?? '').toLowerCase();
  const kubernetes = port.appProtocol !== undefined ? KUBERNETES_APP_PROTOCOLS[name] : undefined;
  if (kubernetes) return kubernetes;
  const prefix = name.startsWith('grpc-web') ? 'grpc-web' : (name.split('-')[0] ?? '');
  if (HTTP.has(prefix)) return 'http';
  if (TCP.has(prefix)) return 'tcp';
  return WELL_KNOWN_TCP_PORTS.has(port.port) ? 'tcp' : 'sniffed';
}

/**
 * The sidecar filter chain a call lands on (authorization.ts): TCP on a port Istio knows as TCP, or when
 * the bytes are TLS the sidecar does not terminate (the app's own, or a DestinationRule's SIMPLE or
 * MUTUAL), which a PERMISSIVE port passes through on a TCP chain; HTTP (or sniffed) otherwise.
 */
export function filterChain(port: TargetPort, passthroughTls: boolean): FilterChain {
  return passthroughTls || portProtocol(port) === 'tcp' ? 'tcp' : 'http';
}
