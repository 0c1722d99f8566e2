// Reads the PEM material out of Envoy's SecretsConfigDump, as `istioctl proxy-config secret -o json`
// prints it or the admin endpoint `config_dump?resource=dynamic_active_secrets` serves it:
// secret `default` holds the proxy's chain, `ROOTCA` the roots it trusts (istio/istio:
// istioctl/pkg/writer/envoy/configdump/configdump.go PrintSecretDump).
import { isPlainObject } from '../snapshot/raw-object.js';

export interface ProxySecrets {
  readonly chainPem?: string;
  readonly rootPem?: string;
}

interface DumpSecret {
  name?: string;
  secret?: {
    tlsCertificate?: { certificateChain?: { inlineBytes?: string } };
    validationContext?: {
      trustedCa?: { inlineBytes?: string };
      customValidatorConfig?: {
        typedConfig?: { trustDomains?: { trustBundle?: { inlineBytes?: string } }[] };
      };
    };
  };
}

const decode = (b64: string | undefined) => (b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined);

// SecretsConfigDump's fields (envoy admin v3), as protojson (camel) or proto (snake) names, and the
// admin endpoint's wrapper around it.
const DUMP_FIELDS = new Set([
  'staticSecrets',
  'dynamicActiveSecrets',
  'dynamicWarmingSecrets',
  'static_secrets',
  'dynamic_active_secrets',
  'dynamic_warming_secrets',
  '@type',
]);

/**
 * Why `dump` is not a SecretsConfigDump (undefined: it is). An empty dump is a proxy without
 * secrets (certificate-missing); other JSON (an array, a number, another object) says nothing about
 * the proxy and must not be read as one without a certificate.
 */
export function notASecretDump(dump: unknown): string | undefined {
  if (!isPlainObject(dump)) return `${describe(dump)}, not an object`;
  if ('configs' in dump) {
    const configs = dump.configs;
    if (!Array.isArray(configs) || !isPlainObject(configs[0])) return '"configs" without a dump in it';
    return notASecretDump(configs[0]);
  }
  const unknown = Object.keys(dump).find((key) => !DUMP_FIELDS.has(key));
  if (unknown) return `an object with "${unknown}", not a secret dump`;
  for (const key of ['dynamicActiveSecrets', 'dynamic_active_secrets']) {
    const secrets = dump[key];
    if (secrets !== undefined && !(Array.isArray(secrets) && secrets.every(isPlainObject)))
      return `"${key}" is not a list of secrets`;
  }
  return undefined;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : `a ${typeof value}`;
}

/** The chain and roots of a dump `notASecretDump` accepted. */
export function readProxySecrets(dump: unknown): ProxySecrets {
  // The admin endpoint wraps the dump in { configs: [ { "@type": ...SecretsConfigDump, ... } ] }.
  const configs = (dump as { configs?: unknown[] } | undefined)?.configs;
  const body = (Array.isArray(configs) ? configs[0] : dump) as
    | { dynamicActiveSecrets?: DumpSecret[]; dynamic_active_secrets?: DumpSecret[] }
    | undefined;
  const secrets = body?.dynamicActiveSecrets ?? body?.dynamic_active_secrets ?? [];
  const byName = (name: string) => secrets.find((s) => s.name === name)?.secret;
  const chainPem = decode(byName('default')?.tlsCertificate?.certificateChain?.inlineBytes);
  const validation = byName('ROOTCA')?.validationContext;
  const bundles =
    validation?.customValidatorConfig?.typedConfig?.trustDomains?.map((d) =>
      decode(d.trustBundle?.inlineBytes),
    ) ?? [];
  const rootPem =
    decode(validation?.trustedCa?.inlineBytes) ?? (bundles.filter(Boolean).join('\n') || undefined);
  return { chainPem, rootPem };
}
