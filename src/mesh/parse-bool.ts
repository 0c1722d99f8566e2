/** Go's strconv.ParseBool true values: how Istio reads a boolean annotation (anything else is false). */
const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

export function isTrue(value: string | undefined): boolean {
  return value !== undefined && TRUE_VALUES.has(value);
}
