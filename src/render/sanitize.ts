// Text output goes to terminals: data from manifests and clusters (names, hosts, label values, file
// names) must not carry escape sequences that hide, rewrite or reorder what is shown. Every text
// renderer passes its data through here; JSON and SARIF keep the data (JSON escapes it anyway).

// ESC sequences whole (CSI, also as the C1 byte, OSC, and two-byte ones), then any other C0 control
// but \n and \t, DEL, C1, and the bidirectional overrides and isolates that reorder what is displayed.
const ESCAPE_SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

export function sanitizeText(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}

/**
 * Text for one line of output: sanitised, line breaks as spaces. For text from elsewhere (an API
 * server's message, a key of an object) shown inside a line: it must not start a line of its own,
 * where it could pass for the tool's own words ("No mTLS problems found").
 */
export function oneLine(text: string): string {
  return sanitizeText(text).replace(/[ \t]*\n\s*/g, ' ');
}

/** A gap as a text line shows it: source and reason on that one line. */
export function oneLineGap<T extends { source: string; reason: string }>(gap: T): T {
  return { ...sanitizeDeep(gap), source: oneLine(gap.source), reason: oneLine(gap.reason) };
}

/** The same value with every string in it (in plain objects and arrays) sanitised. */
export function sanitizeDeep<T>(value: T): T {
  if (typeof value === 'string') return sanitizeText(value) as T;
  if (Array.isArray(value)) return value.map((v) => sanitizeDeep(v)) as T;
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sanitizeDeep(v)])) as T;
  }
  return value;
}
