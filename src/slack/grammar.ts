// The `/mtls` grammar (design.md §5): check <ns> · matrix <ns> · certs <ns>[/<pod>] · digest · help,
// and whatif (what a change would break, before it is made): `<ns>|mesh <MODE>` for a PeerAuthentication
// mode, or the CLI's `--what-if` words (`automtls=off`, `host=HOST tls=MODE [namespace=NS]`).
import { parseWhatIf, type WhatIf, WhatIfError, whatIfNamespace } from '../impact/what-if.js';
import { escapeSlack } from '../render/blocks.js';
import { isNamespaceName } from '../snapshot/k8s-names.js';

export type MtlsCommand =
  | { readonly kind: 'check' | 'matrix'; readonly namespace: string }
  | { readonly kind: 'certs'; readonly namespace: string; readonly pod?: string }
  /**
   * `namespace`: the namespace whose objects the change touches; undefined: mesh-wide. Access rules
   * also check the namespace a host names (authorize.ts channelMaySeeCommand).
   */
  | { readonly kind: 'whatif'; readonly namespace?: string; readonly change: WhatIf }
  | { readonly kind: 'digest' }
  | { readonly kind: 'help' };

export type ParseResult =
  | { readonly ok: true; readonly command: MtlsCommand }
  | { readonly ok: false; readonly message: string };

const POD_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export const HELP = [
  '*mtls-doctor* finds and explains Istio mTLS problems.',
  '• `/mtls check <namespace>`: what breaks, for whom, why, and the fix',
  '• `/mtls matrix <namespace>`: which clients can reach which service ports',
  '• `/mtls certs <namespace>[/<pod>]`: CA, root and proxy certificates',
  '• `/mtls whatif <namespace>|mesh STRICT|PERMISSIVE|DISABLE`: which calls that mode would break, and how to avoid it',
  '• `/mtls whatif automtls=off` or `/mtls whatif host=<host> namespace=<ns> tls=DISABLE|SIMPLE|MUTUAL|ISTIO_MUTUAL`: the same for auto mTLS or a DestinationRule',
  '• `/mtls digest`: the mesh posture digest',
  '• `/mtls help`: this help',
].join('\n');

export function parseCommand(text: string): ParseResult {
  const [verb = '', arg, ...extra] = text.trim().split(/\s+/).filter(Boolean);
  const usage = (message: string): ParseResult => ({ ok: false, message: `${message}\n\n${HELP}` });
  switch (verb.toLowerCase()) {
    case '':
    case 'help':
      return { ok: true, command: { kind: 'help' } };
    case 'digest':
      return extra.length || arg
        ? usage('`/mtls digest` takes no argument.')
        : { ok: true, command: { kind: 'digest' } };
    case 'check':
    case 'matrix': {
      if (!arg || extra.length) return usage(`\`/mtls ${verb} <namespace>\` needs exactly one namespace.`);
      if (!isNamespaceName(arg))
        return usage(
          `\`${arg.slice(0, 80)}\` is not a valid namespace name (lowercase letters, digits and -).`,
        );
      return { ok: true, command: { kind: verb.toLowerCase() as 'check' | 'matrix', namespace: arg } };
    }
    case 'certs': {
      if (!arg || extra.length) return usage('`/mtls certs <namespace>[/<pod>]` needs a namespace.');
      const [namespace = '', pod] = arg.split('/');
      if (!isNamespaceName(namespace))
        return usage(`\`${namespace.slice(0, 80)}\` is not a valid namespace name.`);
      if (pod !== undefined && !POD_NAME.test(pod))
        return usage(`\`${pod.slice(0, 80)}\` is not a valid pod name.`);
      return { ok: true, command: { kind: 'certs', namespace, pod } };
    }
    case 'whatif': {
      if (arg?.includes('=')) return whatIfWords(text.trim().slice(verb.length), usage);
      const mode = extra[0]?.toUpperCase();
      if (!arg || extra.length !== 1 || !mode)
        return usage(
          '`/mtls whatif <namespace>|mesh STRICT|PERMISSIVE|DISABLE` needs a namespace and a mode.',
        );
      if (!['STRICT', 'PERMISSIVE', 'DISABLE'].includes(mode))
        return usage(`\`${(extra[0] ?? '').slice(0, 40)}\` is not a mode (STRICT, PERMISSIVE or DISABLE).`);
      if (arg !== 'mesh' && !isNamespaceName(arg))
        return usage(`\`${arg.slice(0, 80)}\` is not a valid namespace name.`);
      return whatIfWords(`${arg === 'mesh' ? 'mesh' : `namespace=${arg}`} mode=${mode}`, usage);
    }
    default:
      return usage(`Unknown subcommand \`${verb.slice(0, 40)}\`.`);
  }
}

function whatIfWords(words: string, usage: (message: string) => ParseResult): ParseResult {
  try {
    const change = parseWhatIf(words);
    return { ok: true, command: { kind: 'whatif', namespace: whatIfNamespace(change), change } };
  } catch (error) {
    // The message quotes what was typed: escaped, so `<!channel>` is shown, never a mention.
    if (error instanceof WhatIfError)
      return usage(`\`/mtls whatif\`: ${escapeSlack(error.message.slice(0, 300))}.`);
    throw error;
  }
}
