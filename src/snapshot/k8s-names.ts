// Names as the Kubernetes API server validates them. A manifest name that the API server would refuse
// is bad input here too; it also keeps shell syntax and control characters out of the names that
// end up in generated kubectl commands.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

interface NameRule {
  readonly test: (name: string) => boolean;
  readonly description: string;
}

const SUBDOMAIN: NameRule = {
  test: (name) => name.length <= 253 && DNS1123_SUBDOMAIN.test(name),
  description:
    "an RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters",
};
const LABEL: NameRule = {
  test: (name) => name.length <= 63 && DNS1123_LABEL.test(name),
  description:
    "an RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
};
const DNS1035: NameRule = {
  test: (name) => name.length <= 63 && DNS1035_LABEL.test(name),
  description:
    "an RFC 1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters",
};

/** The rule for `metadata.name` of a kind (Namespaces are labels, Services RFC 1035 labels). */
function nameRule(kind: string): NameRule {
  if (kind === 'Namespace') return LABEL;
  if (kind === 'Service') return DNS1035;
  return SUBDOMAIN;
}

/** Why `name` is not a valid name of a `kind`, or undefined when it is. */
export function invalidName(kind: string, name: string): string | undefined {
  const rule = nameRule(kind);
  return rule.test(name) ? undefined : `${quote(name)} is not a valid ${kind} name (${rule.description})`;
}

/** Whether `name` is a valid namespace name (an RFC 1123 label), as every entry point requires. */
export function isNamespaceName(name: string): boolean {
  return LABEL.test(name);
}

/** Why `namespace` is not a valid namespace name, or undefined when it is. */
export function invalidNamespace(namespace: string): string | undefined {
  return isNamespaceName(namespace)
    ? undefined
    : `${quote(namespace)} is not a valid namespace name (${LABEL.description})`;
}

/** JSON quoting shows control characters as escapes instead of sending them to the terminal. */
export function quote(text: string): string {
  return JSON.stringify(text);
}
