// The one overlay convention for salt masks over seismic tiles, shared by `halite explore`, the
// report and the web app's Predictions and Try it pages. No node imports: the browser bundle uses it.
//
// Colours are three of Okabe & Ito's colour-blind-safe palette ("Color Universal Design", 2008):
// blue for salt found, vermillion for salt predicted where there is none, yellow for salt missed.
// Under protanopia and deuteranopia blue and yellow stay the two ends of the remaining blue-yellow
// axis and vermillion turns a dark olive, well apart from both in lightness; none of the three is
// white or grey, so a bright reflector in the grey tile never reads as a mask.

/** One kind of masked pixel: its colour (sRGB bytes and hex) and its legend text. */
export interface OverlayKey { rgb: readonly [number, number, number]; hex: string; label: string }

export const OVERLAY = {
  /** Salt in truth and prediction (with truth alone, or prediction alone: salt). */
  tp: { rgb: [0x00, 0x72, 0xb2], hex: '#0072B2', label: 'salt found (true positive)' },
  /** Predicted salt where the truth has none. */
  fp: { rgb: [0xd5, 0x5e, 0x00], hex: '#D55E00', label: 'false salt (false positive)' },
  /** True salt the prediction missed. */
  fn: { rgb: [0xf0, 0xe4, 0x42], hex: '#F0E442', label: 'missed salt (false negative)' },
} as const satisfies Record<string, OverlayKey>;

/** How much of the mask colour covers the tile: enough to read the colour, little enough to see the reflectors under it. */
export const OVERLAY_ALPHA = 0.55;

/** What a figure shows: truth and prediction compared, or one mask alone (drawn in the salt colour). */
export type OverlayKind = 'compare' | 'truth' | 'prediction';

/** The legend entries of a figure of `kind`, in drawing order. */
export function legendKeys(kind: OverlayKind): OverlayKey[] {
  if (kind === 'truth') return [{ ...OVERLAY.tp, label: 'salt (label)' }];
  if (kind === 'prediction') return [{ ...OVERLAY.tp, label: 'predicted salt' }];
  return [OVERLAY.tp, OVERLAY.fp, OVERLAY.fn];
}

/**
 * Blends masks over a grey tile.
 * @param image grey bytes 0..255 (or a Float32Array in [0, 1] when `unit`), length w*h
 * @param truth, pred 0/1 (any non-zero is salt), length w*h, or null when absent; with one mask
 *   absent, the other is drawn in the salt colour (OVERLAY.tp)
 * @param channels 3 for RGB (PNG encoders), 4 for RGBA (canvas ImageData, alpha 255)
 * @returns w*h*channels bytes
 * @throws RangeError when a mask's length differs from the image's
 */
export function overlayPixels(image: ArrayLike<number>, truth: ArrayLike<number> | null, pred: ArrayLike<number> | null,
  o: { channels?: 3 | 4; unit?: boolean; out?: Uint8Array | Uint8ClampedArray } = {}): Uint8Array | Uint8ClampedArray {
  const n = image.length, ch = o.channels ?? 3, scale = o.unit ? 255 : 1;
  for (const [name, m] of [['truth', truth], ['prediction', pred]] as const) {
    if (m && m.length !== n) throw new RangeError(`${name} mask has ${m.length} pixels, the image ${n}`);
  }
  const out = o.out ?? new Uint8Array(n * ch);
  const a = OVERLAY_ALPHA;
  for (let i = 0; i < n; i++) {
    const v = Math.max(0, Math.min(255, image[i]! * scale));
    const t = truth ? truth[i]! > 0 : false, p = pred ? pred[i]! > 0 : false;
    const key = t && p ? OVERLAY.tp : p ? (truth ? OVERLAY.fp : OVERLAY.tp) : t ? (pred ? OVERLAY.fn : OVERLAY.tp) : null;
    const k = i * ch;
    if (key) {
      out[k] = Math.round(v * (1 - a) + key.rgb[0] * a);
      out[k + 1] = Math.round(v * (1 - a) + key.rgb[1] * a);
      out[k + 2] = Math.round(v * (1 - a) + key.rgb[2] * a);
    } else {
      out[k] = out[k + 1] = out[k + 2] = Math.round(v);
    }
    if (ch === 4) out[k + 3] = 255;
  }
  return out;
}

const escXml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The legend as an HTML fragment (inline swatches), for the report. */
export function legendHtml(kind: OverlayKind): string {
  return `<p class="legend" data-legend="${kind}">${legendKeys(kind).map((k) =>
    `<span><i style="background:${k.hex}"></i>${escXml(k.label)}</span>`).join('')}</p>`;
}

/** The legend as SVG elements in one row at (x, y), for SVG figures; returns the markup and its height. */
export function legendSvg(kind: OverlayKind, x: number, y: number): { svg: string; height: number } {
  let cx = x;
  const parts = legendKeys(kind).map((k) => {
    const s = `<rect x="${cx}" y="${y}" width="12" height="12" fill="${k.hex}"/><text x="${cx + 16}" y="${y + 10}">${escXml(k.label)}</text>`;
    cx += 16 + k.label.length * 6.5 + 14;
    return s;
  });
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: 16 };
}
