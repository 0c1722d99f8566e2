// A Vega-Lite spec drawn to PNG without a browser: vega-lite compiles it, a headless vega View lays it
// out and writes SVG, and resvg rasterises that with DejaVu Sans shipped as an npm package (no system
// fonts needed, so CI and slim containers draw the same text).
import { createRequire } from 'node:module';
import { renderAsync } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export const FONT_FAMILY = 'DejaVu Sans';
const require = createRequire(import.meta.url);
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) =>
  require.resolve(`dejavu-fonts-ttf/ttf/${f}`),
);

export interface RenderedPicture {
  readonly png: Uint8Array;
  /** Pixel size of the PNG. */
  readonly width: number;
  readonly height: number;
  /** Where the plot area starts in the PNG (after axes, title and padding), in PNG pixels. */
  readonly origin: { readonly x: number; readonly y: number };
  /** PNG pixels per SVG unit. */
  readonly scale: number;
}

/** Shared look: our font everywhere, white background, no outer border. */
export const BASE_CONFIG = {
  font: FONT_FAMILY,
  background: 'white',
  view: { stroke: null },
} as const;

export async function renderVegaLite(spec: TopLevelSpec, scale = 2): Promise<RenderedPicture> {
  const { spec: vegaSpec } = compile(spec);
  // renderer 'none': layout and scenegraph only, no canvas; toSVG() walks the scenegraph.
  const view = new View(parse(vegaSpec), { renderer: 'none' });
  try {
    await view.runAsync();
    const svg = await view.toSVG();
    // The renderer draws the plot at the autosize origin plus the padding.
    const [ox, oy] = view.origin();
    const padding = view.padding();
    const [left, top] =
      typeof padding === 'number' ? [padding, padding] : [padding.left ?? 0, padding.top ?? 0];
    // Rasterised off the event loop (resvg's own thread), so a bot stays responsive while it draws.
    const image = await renderAsync(svg, {
      fitTo: { mode: 'zoom', value: scale },
      font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    });
    return {
      png: new Uint8Array(image.asPng()),
      width: image.width,
      height: image.height,
      origin: { x: (ox + left) * scale, y: (oy + top) * scale },
      scale,
    };
  } finally {
    view.finalize();
  }
}
