// A fast path for the zod schemas in schemas.ts: compiled once from each schema's definition, it
// accepts only input that is already in the schema's exact shape (no coercion needed, every check
// passes) and builds the same output zod would (shape order, unknown keys dropped, defaults filled).
// Anything else returns NOT_FAST and the caller asks zod, which stays the only source of error
// messages. Zod per object was most of the time spent building a snapshot of a large mesh.
import type { z } from 'zod';

export const NOT_FAST: unique symbol = Symbol('not-fast');
type Parse = (value: unknown) => unknown;

interface Def {
  readonly type: string;
  readonly coerce?: boolean;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly shape?: Record<string, z.ZodType>;
  readonly catchall?: unknown;
  readonly element?: z.ZodType;
  readonly keyType?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly entries?: Record<string, unknown>;
  readonly options?: readonly z.ZodType[];
  readonly defaultValue?: unknown;
}

interface CheckDef {
  readonly check: string;
  readonly format?: string;
  readonly minimum?: number;
  readonly value?: number;
  readonly inclusive?: boolean;
}

const compiled = new WeakMap<z.ZodType, Parse>();

/** The schema's output for `value`, or NOT_FAST when only zod can tell (invalid or coerced input). */
export function fastParse(schema: z.ZodType, value: unknown): unknown {
  let parse = compiled.get(schema);
  if (!parse) {
    parse = compile(schema);
    compiled.set(schema, parse);
  }
  return parse(value);
}

const never: Parse = () => NOT_FAST;

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** A predicate for each check of a string, array or number, or undefined if one is not understood. */
function checksOf(def: Def, size: (v: never) => number): ((v: never) => boolean)[] | undefined {
  const predicates: ((v: never) => boolean)[] = [];
  for (const { _zod } of def.checks ?? []) {
    const c = _zod.def;
    if (c.check === 'min_length' && typeof c.minimum === 'number') {
      const min = c.minimum;
      predicates.push((v) => size(v) >= min);
    } else if (c.check === 'number_format' && c.format === 'safeint') {
      predicates.push((v) => Number.isSafeInteger(v));
    } else if (c.check === 'greater_than' && typeof c.value === 'number') {
      const bound = c.value;
      predicates.push(c.inclusive ? (v) => (v as number) >= bound : (v) => (v as number) > bound);
    } else if (c.check === 'less_than' && typeof c.value === 'number') {
      const bound = c.value;
      predicates.push(c.inclusive ? (v) => (v as number) <= bound : (v) => (v as number) < bound);
    } else return undefined;
  }
  return predicates;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function primitive(type: 'string' | 'number' | 'boolean', def: Def): Parse {
  const checks = checksOf(def, (v: string) => v.length);
  if (!checks) return never;
  // A coerced value that already has the type coerces to itself.
  return (value) => {
    if (typeof value !== type) return NOT_FAST;
    if (type === 'number' && !Number.isFinite(value)) return NOT_FAST;
    for (const check of checks) if (!check(value as never)) return NOT_FAST;
    return value;
  };
}

function compile(schema: z.ZodType): Parse {
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
    case 'number':
    case 'boolean':
      return primitive(def.type, def);
    case 'unknown':
      return (value) => value;
    case 'enum': {
      const values = new Set(Object.values(def.entries ?? {}));
      return (value) => (typeof value === 'string' && values.has(value) ? value : NOT_FAST);
    }
    case 'optional': {
      const inner = child(def.innerType);
      return (value) => (value === undefined ? undefined : inner(value));
    }
    case 'nullable': {
      const inner = child(def.innerType);
      return (value) => (value === null ? null : inner(value));
    }
    case 'default': {
      const inner = child(def.innerType);
      return (value) => {
        // def.defaultValue is a getter that hands out a fresh copy, as zod does.
        if (value === undefined) return def.defaultValue;
        const out = inner(value);
        return out === undefined ? def.defaultValue : out;
      };
    }
    case 'array':
      return compileArray(def);
    case 'record':
      return compileRecord(def);
    case 'object':
      return compileObject(def);
    case 'union':
      return compileUnion(def);
    default:
      // pipe, transform, date, ...: zod decides.
      return never;
  }
}

/** The parser of a nested schema (schemas.ts has no recursive schemas, so compiling eagerly ends). */
function child(schema: z.ZodType | undefined): Parse {
  if (!schema) return never;
  let parse = compiled.get(schema);
  if (!parse) {
    parse = compile(schema);
    compiled.set(schema, parse);
  }
  return parse;
}

function compileArray(def: Def): Parse {
  const checks = checksOf(def, (v: unknown[]) => v.length);
  if (!checks) return never;
  const element = child(def.element);
  return (value) => {
    if (!Array.isArray(value)) return NOT_FAST;
    for (const check of checks) if (!check(value as never)) return NOT_FAST;
    // Copied only from the first element that changes (see compileObject).
    let out: unknown[] | undefined = Object.getPrototypeOf(value) === Array.prototype ? undefined : [];
    for (let i = 0; i < value.length; i++) {
      const item = element(value[i]);
      if (item === NOT_FAST) return NOT_FAST;
      if (out === undefined && item !== value[i]) out = value.slice(0, i);
      if (out !== undefined) out.push(item);
    }
    return out ?? value;
  };
}

function compileRecord(def: Def): Parse {
  const keyDef = def.keyType ? defOf(def.keyType) : undefined;
  if (keyDef?.type !== 'string' || keyDef.coerce || (keyDef.checks?.length ?? 0) > 0) return never;
  const valueParse = child(def.valueType);
  return (value) => {
    if (!isPlainObject(value)) return NOT_FAST;
    let out: Record<string, unknown> | undefined =
      Object.getPrototypeOf(value) === Object.prototype ? undefined : {};
    // Parsed manifests hold only own, enumerable string keys (a plain object inherits none).
    for (const key in value) {
      if (key === '__proto__') return NOT_FAST;
      const item = valueParse(value[key]);
      if (item === NOT_FAST) return NOT_FAST;
      if (out === undefined && item !== value[key]) out = keysBefore(value, key);
      if (out !== undefined) out[key] = item;
    }
    return out ?? value;
  };
}

/** A copy of `value`'s entries that come before `stop` (they were unchanged). */
function keysBefore(value: Record<string, unknown>, stop: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (key === stop) break;
    out[key] = value[key];
  }
  return out;
}

function compileObject(def: Def): Parse {
  if (def.catchall !== undefined || (def.checks?.length ?? 0) > 0 || !def.shape) return never;
  const fields = Object.entries(def.shape).map(([key, schema]) => {
    const internals = (schema as unknown as { _zod: { optin?: string; optout?: string } })._zod;
    return { key, parse: child(schema), optin: internals.optin, optout: internals.optout };
  });
  return (value) => {
    if (!isPlainObject(value)) return NOT_FAST;
    // Input already in the output's exact shape (no unknown key, the shape's key order, nothing
    // filled or converted) is returned as it is: the snapshot keeps it instead of a copy. The copy
    // is made only once something differs, so that input needing none allocates nothing.
    let out: Record<string, unknown> | undefined =
      Object.getPrototypeOf(value) === Object.prototype && keysInShapeOrder(value, fields) ? undefined : {};
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as (typeof fields)[number];
      const raw = value[field.key];
      const present = raw !== undefined || field.key in value;
      // zod leaves out an absent optional key, fills an absent defaulted one, rejects an absent required one.
      if (!present && field.optin === 'optional' && field.optout === 'optional') continue;
      if (!present && field.optin !== 'defaulted') return NOT_FAST;
      const item = field.parse(raw);
      if (item === NOT_FAST) return NOT_FAST;
      if (out === undefined && (!present || item !== raw)) out = fieldsBefore(value, fields, i);
      if (out !== undefined) out[field.key] = item;
    }
    return out ?? value;
  };
}

/** The output of the fields before `stop`, all present ones unchanged (absent ones were optional). */
function fieldsBefore(
  value: Record<string, unknown>,
  fields: readonly { readonly key: string }[],
  stop: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let j = 0; j < stop; j++) {
    const key = (fields[j] as { key: string }).key;
    if (value[key] !== undefined || key in value) out[key] = value[key];
  }
  return out;
}

/** Every key of `value` is a field of the shape, in the shape's order. */
function keysInShapeOrder(
  value: Record<string, unknown>,
  fields: readonly { readonly key: string }[],
): boolean {
  let next = 0;
  for (const key in value) {
    while (next < fields.length && (fields[next] as { key: string }).key !== key) next++;
    if (next === fields.length) return false;
    next++;
  }
  return true;
}

function compileUnion(def: Def): Parse {
  const options = (def.options ?? []).map((option) => {
    const d = defOf(option);
    // A plain primitive option rejects a value of another type, so zod would go on to the next.
    const only =
      (d.type === 'string' || d.type === 'number' || d.type === 'boolean') && !d.coerce ? d.type : undefined;
    return { only, parse: child(option) };
  });
  return (value) => {
    for (const option of options) {
      if (option.only && typeof value !== option.only) continue;
      return option.parse(value);
    }
    return NOT_FAST;
  };
}
