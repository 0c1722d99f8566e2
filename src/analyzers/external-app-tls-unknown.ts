// External ports whose protocol does not say whether the app speaks TLS (unset, which is sniffed, or
// TCP): Istio passes the app's bytes unread, so whether calls to a server that expects TLS work
// depends on the app, which no manifest shows. Said as info, with what the app must send given the
// TLS the sidecars add, and how to declare the port so the calls can be checked.

import { appTlsOn, externalServerWantsTls } from '../mesh/external-tls.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import type { Ref } from '../snapshot/types.js';
import {
  affectedNamespaces,
  describeClients,
  type Failure,
  groupBy,
  targetName,
} from './connectivity-failures.js';
import { describeRuleChoice, describeTargets } from './explain.js';
import { type Finding, finding } from './finding.js';

export function unknownAppTlsNotes(mesh: ResolvedMesh): Finding[] {
  const calls: Failure[] = [];
  for (const target of mesh.targets) {
    if (!target.external || !target.entry) continue;
    const ports = target.ports.filter((p) => appTlsOn(p) === 'unknown' && externalServerWantsTls(p));
    if (ports.length === 0) continue;
    const groups = mesh.clientGroups(target).filter((g) => g.profile.proxy === 'sidecar');
    for (const port of ports)
      for (const group of groups) {
        const outcome = mesh.outcomeForClass(group, target, port);
        // Failing calls are explained by the finding of their cause.
        if (outcome.ok)
          calls.push({ target, port, group, outcome, backends: [], reason: 'serviceentry-tls-origination' });
      }
  }
  // One note per host and port: several ServiceEntries may declare the same one.
  const byHostPort = groupBy(calls, (c) => `${targetName(c.target, c.port)}#${originated(c)}`);
  return [...byHostPort.values()].map((group) => note(mesh, group));
}

function originated(call: Failure): boolean {
  return call.outcome.tls === 'SIMPLE' || call.outcome.tls === 'MUTUAL';
}

function note(mesh: ResolvedMesh, group: readonly Failure[]): Finding {
  const first = group[0] as Failure;
  const { target, port, outcome } = first;
  const viaOrigination = originated(first);
  const entries = [...new Set(group.map((c) => c.target.ref))];
  const entry = entries[0] as Ref;
  const declared = port.protocol ? `declared ${port.protocol}` : 'declared without a protocol (sniffed)';
  const host = target.host;
  const depends = viaOrigination
    ? `the DestinationRule originates ${outcome.tls}: they work if the app sends plaintext, and fail (TLS inside TLS) if it calls https:// itself`
    : `no DestinationRule originates TLS: they work if the app calls https://${host} itself, and fail if it sends plain HTTP`;
  return finding({
    code: 'serviceentry-tls-origination',
    severity: 'info',
    message: `Whether calls from ${describeClients(group)} to external ${describeTargets(group)} work depends on the app: port ${port.port} is ${declared}, so the sidecar passes the app's bytes without reading them, and ${depends}.`,
    why: [
      `${entries.map((e) => `ServiceEntry ${e.namespace}/${e.name}`).join(', ')} port ${port.port}${port.name ? ` (${port.name})` : ''}: Istio takes a ServiceEntry port's protocol from its protocol field alone (serviceentry/conversion.go protocol.Parse), not from its name; the server expects TLS there.`,
      describeRuleChoice(outcome.rule),
    ],
    fix: viaOrigination
      ? `Declare the port HTTP (the app sends plaintext, the sidecar adds TLS), so the calls can be checked.`
      : `Declare the port's protocol so the calls can be checked: HTTPS (or TLS) if the app speaks TLS itself; if it sends plain HTTP, declare it HTTP and originate TLS with a DestinationRule (tls.mode SIMPLE, sni: ${host}).`,
    resource: entry,
    location: target.entry?.meta.source,
    path: 'spec.ports',
    related: entries.slice(1),
    namespaces: affectedNamespaces(mesh, group),
  });
}
