// YAML for people to hand to kubectl or commit to Git. kubectl, Argo CD and Flux read YAML through
// sigs.k8s.io/yaml (go-yaml, YAML 1.1), where unquoted yes/no/on/off/y/n, 1_000 and dates are not
// strings: a label value `yes` written plainly makes `kubectl apply` fail. Emitting YAML 1.1 quotes them.
import { stringify } from 'yaml';

export function toKubeYaml(value: unknown): string {
  return simpleKubeYaml(value) ?? stringify(value, { version: '1.1' });
}

// The plans of a large mesh are hundreds of small objects of names, labels, modes and port numbers;
// `yaml`'s stringify builds a document per call (~150 us each). Those objects are written here the
// way it writes them, byte for byte; anything else (a string it would quote or fold, empty maps and
// lists, null, an object met twice, which it would anchor) is left to it whole.
const PLAIN = /^[A-Za-z][A-Za-z0-9._/-]*$/;
// YAML 1.1 booleans and null in any case (y/n and on/off included), and the floats that start with a
// letter (its float's mantissa is optional: `e2` and `e-0` read as numbers): `yaml` quotes these.
const SPECIAL = /^(?:y|n|yes|no|on|off|true|false|null|e[-+]?[0-9]+)$/i;
// A string of digits only would read as an integer: `yaml` writes it double-quoted.
const DIGITS = /^[1-9][0-9]{0,8}$/;

class NotSimple extends Error {}

function simpleKubeYaml(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const out: string[] = [];
  try {
    writeMap(value, '', out, new Set());
  } catch (error) {
    if (error instanceof NotSimple) return undefined;
    throw error;
  }
  return out.join('');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function scalar(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length <= 200 && PLAIN.test(value) && !SPECIAL.test(value)) return value;
    if (value === '' || DIGITS.test(value)) return `"${value}"`;
  } else if (typeof value === 'number') {
    // -0 passes isSafeInteger and >= 0, but yaml writes it as -0.
    if (Number.isSafeInteger(value) && value >= 0 && !Object.is(value, -0)) return String(value);
  } else if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  throw new NotSimple();
}

function enter(value: object, seen: Set<object>): void {
  if (seen.has(value)) throw new NotSimple();
  seen.add(value);
}

/** `key: value` lines at `indent`; the first line is written without the indent when `first` is set. */
function writeMap(
  map: Record<string, unknown>,
  indent: string,
  out: string[],
  seen: Set<object>,
  first = false,
): void {
  enter(map, seen);
  const keys = Object.keys(map);
  if (keys.length === 0) throw new NotSimple();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    out.push(first && i === 0 ? '' : indent, scalar(key), ':');
    writeValue(map[key], `${indent}  `, out, seen);
  }
}

/** The value after `key:` (or `-`): a scalar on the same line, a map or list on the lines below. */
function writeValue(value: unknown, indent: string, out: string[], seen: Set<object>): void {
  if (Array.isArray(value)) {
    out.push('\n');
    writeList(value, indent, out, seen);
  } else if (isPlainObject(value)) {
    out.push('\n');
    writeMap(value, indent, out, seen);
  } else out.push(' ', scalar(value), '\n');
}

function writeList(list: readonly unknown[], indent: string, out: string[], seen: Set<object>): void {
  enter(list, seen);
  if (list.length === 0) throw new NotSimple();
  for (const item of list) {
    out.push(indent, '-');
    if (isPlainObject(item)) {
      out.push(' ');
      writeMap(item, `${indent}  `, out, seen, true);
    } else if (Array.isArray(item)) throw new NotSimple();
    else out.push(' ', scalar(item), '\n');
  }
}
