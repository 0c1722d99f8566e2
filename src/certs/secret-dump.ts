// Reads the PEM material out of Envoy's SecretsConfigDump, as `istioctl proxy-config secret -o json`
// prints it or the admin endpoint `config_dump?resource=dynamic_active_secrets` serves it:
// secret `default` holds the proxy's chain, `ROOTCA` the roots it trusts (istio/istio:
// istioctl/pkg/writer/envoy/configdump/configdump.go PrintSecretDump).

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
