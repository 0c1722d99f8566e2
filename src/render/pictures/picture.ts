// A drawn picture as the CLI writes it and the bot uploads it: plain data (it crosses worker threads).
// Kept apart from the renderers so callers can name the type without loading the drawing libraries.
export interface Picture {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** The same content in words: Slack's alt text, and what the CLI prints. */
  readonly alt: string;
  readonly title: string;
  readonly filename: string;
}
