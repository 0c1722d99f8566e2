// Every analyzer, in one place (like istio/istio: pkg/config/analysis/analyzers/all.go).

import { admissionWebhookStrict } from './admission-webhook-strict.js';
import { ambientPeerAuthentication } from './ambient-peerauthentication.js';
import { authorizationRequiresMtls } from './authorization-requires-mtls.js';
import { autoMtlsDisabled } from './auto-mtls-disabled.js';
import { caCertificates } from './ca-certificates.js';
import { denyBypassedByPlaintext } from './deny-bypassed-by-plaintext.js';
import { destinationRuleCredentialNameIgnored } from './destinationrule-credentialname-ignored.js';
import { destinationRuleHostNotFound } from './destinationrule-host-not-found.js';
import { destinationRuleSanMismatch } from './destinationrule-san-mismatch.js';
import { destinationRuleShadowed } from './destinationrule-shadowed.js';
import { destinationRuleTlsConflict } from './destinationrule-tls-conflict.js';
import type { Analyzer } from './finding.js';
import { headlessServicePlaintext } from './headless-service-plaintext.js';
import { inboundPortExcluded } from './inbound-port-excluded.js';
import { meshNotStrict } from './mesh-not-strict.js';
import { outboundPortExcluded } from './outbound-port-excluded.js';
import { peerAuthenticationConflict } from './peerauthentication-conflict.js';
import { portLevelMtlsIgnored } from './port-level-mtls-ignored.js';
import { portLevelMtlsServicePort } from './port-level-mtls-service-port.js';
import { portPassthroughMtls } from './port-passthrough-mtls.js';
import { probeRewriteDisabled } from './probe-rewrite-disabled.js';
import { selectorMatchesNothing } from './selector-matches-nothing.js';
import { serviceNotVisible } from './service-not-visible.js';
import { serviceEntryTlsOrigination } from './serviceentry-tls-origination.js';
import { sidecarMissing } from './sidecar-missing.js';
import { strictPlaintextClients } from './strict-plaintext-clients.js';
import { strictUnderNamespaceDisable } from './strict-under-namespace-disable.js';
import { tlsModeLabelMismatch } from './tlsmode-label-mismatch.js';
import { waypointNotFound } from './waypoint-not-found.js';
import { workloadCertificates } from './workload-certificates.js';

export const ALL_ANALYZERS: readonly Analyzer[] = [
  strictPlaintextClients,
  destinationRuleTlsConflict,
  caCertificates,
  serviceEntryTlsOrigination,
  autoMtlsDisabled,
  peerAuthenticationConflict,
  portLevelMtlsIgnored,
  portLevelMtlsServicePort,
  selectorMatchesNothing,
  sidecarMissing,
  probeRewriteDisabled,
  admissionWebhookStrict,
  inboundPortExcluded,
  strictUnderNamespaceDisable,
  destinationRuleShadowed,
  destinationRuleHostNotFound,
  meshNotStrict,
  headlessServicePlaintext,
  outboundPortExcluded,
  destinationRuleCredentialNameIgnored,
  workloadCertificates,
  tlsModeLabelMismatch,
  destinationRuleSanMismatch,
  portPassthroughMtls,
  serviceNotVisible,
  ambientPeerAuthentication,
  waypointNotFound,
  authorizationRequiresMtls,
  denyBypassedByPlaintext,
];
