/** Control characters a terminal would act on (C0 but \n and \t, DEL, C1, bidi overrides/isolates). */
export function controlCharacters(text: string): string[] {
  return [...text].filter((ch) => {
    const c = ch.codePointAt(0) ?? 0;
    return (
      (c < 0x20 && c !== 0x0a && c !== 0x09) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069)
    );
  });
}
