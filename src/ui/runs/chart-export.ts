// Chart export: PNG of a uPlot canvas (white background, title above), SVG of a uPlot chart (the PNG
// embedded in an <image>: uPlot draws to a canvas only), the heat map as real SVG <rect>s and its PNG.
// Browser APIs only at call time; the SVG builders are pure strings. Must not import React or the store.

import type uPlot from 'uplot';
import { heatColor, heatRowLabel, heatTextColor, removedColor, type HeatColumn, type HeatRow } from './run-views-data';

const TITLE_PX = 28;

/** Escapes text for XML content and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A safe file name stem: 'Decode speed' → 'decode-speed'. */
export const fileStem = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** One legend entry of an exported chart (uPlot draws its legend in HTML, not on the canvas). */
export interface LegendItem {
  label: string;
  color: string;
}

/** The series of a uPlot chart that are shown, with their colours (stroke, else fill). */
export function legendOf(plot: uPlot): LegendItem[] {
  return plot.series.slice(1).flatMap((series, i) => {
    if (series.show === false || !series.label) return [];
    const paint = (value: unknown) => (typeof value === 'function' ? value(plot, i + 1) : value);
    const color = paint(series.stroke) ?? paint(series.fill);
    return [{ label: String(series.label), color: typeof color === 'string' ? color : '#111827' }];
  });
}

/** The chart's canvas on white with the title above it and its legend below (device pixels kept). */
export function titledCanvas(source: HTMLCanvasElement, title: string, legend: LegendItem[] = []): HTMLCanvasElement {
  const ratio = source.width / Math.max(1, source.clientWidth || source.width);
  const band = Math.round(TITLE_PX * ratio);
  const legendBand = legend.length > 0 ? band : 0;
  const out = document.createElement('canvas');
  out.width = source.width;
  out.height = source.height + band + legendBand;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = '#111827';
  ctx.font = `600 ${Math.round(15 * ratio)}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.fillText(title, Math.round(8 * ratio), band / 2);
  ctx.drawImage(source, 0, band);
  ctx.font = `${Math.round(13 * ratio)}px system-ui, sans-serif`;
  let x = Math.round(8 * ratio);
  const y = band + source.height + legendBand / 2;
  const swatch = Math.round(12 * ratio);
  for (const item of legend) {
    ctx.fillStyle = item.color;
    ctx.fillRect(x, y - swatch / 2, swatch, swatch);
    ctx.fillStyle = '#111827';
    x += swatch + Math.round(5 * ratio);
    ctx.fillText(item.label, x, y);
    x += ctx.measureText(item.label).width + Math.round(16 * ratio);
  }
  return out;
}

/** Canvases stacked top to bottom on one canvas (CSS width of the first kept for the ratio); one as it is. */
export function stackCanvases(canvases: HTMLCanvasElement[]): HTMLCanvasElement {
  if (canvases.length === 1) return canvases[0];
  const out = document.createElement('canvas');
  out.width = Math.max(...canvases.map((c) => c.width));
  out.height = canvases.reduce((sum, c) => sum + c.height, 0);
  const ctx = out.getContext('2d')!;
  let y = 0;
  for (const c of canvases) {
    ctx.drawImage(c, 0, y);
    y += c.height;
  }
  // titledCanvas reads the device-pixel ratio from clientWidth; a detached canvas has none, so carry it.
  Object.defineProperty(out, 'clientWidth', { value: canvases[0].clientWidth });
  return out;
}

export function canvasToPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('canvas.toBlob gave no PNG'))), 'image/png'));
}

/** An SVG that shows a raster image (a data: URL) at the given CSS size, with the title as <title>. */
export function svgWithImage(dataUrl: string, width: number, height: number, title: string): string {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${xmlEscape(title)}</title>`,
    `<image width="${width}" height="${height}" href="${dataUrl}" xlink:href="${dataUrl}"/>`,
    `</svg>`,
    '',
  ].join('\n');
}

/** A uPlot chart as PNG and as SVG (the same titled raster embedded: uPlot has no vector output). */
export async function uplotPng(canvas: HTMLCanvasElement, title: string, legend: LegendItem[] = []): Promise<Blob> {
  return canvasToPng(titledCanvas(canvas, title, legend));
}

export function uplotSvg(canvas: HTMLCanvasElement, title: string, legend: LegendItem[] = []): Blob {
  const titled = titledCanvas(canvas, title, legend);
  const cssWidth = canvas.clientWidth || canvas.width;
  const cssHeight = Math.round((titled.height * cssWidth) / titled.width);
  return new Blob([svgWithImage(titled.toDataURL('image/png'), cssWidth, cssHeight, title)], { type: 'image/svg+xml' });
}

// ---- heat map as SVG (vector: one <rect> per cell, from the data) ----

const CELL_W = 26;
const CELL_H = 22;
const LEFT = 190;
const TOP = 64;

export interface HeatmapSvgSize {
  width: number;
  height: number;
}

export function heatmapSvgSize(columns: HeatColumn[], rows: HeatRow[]): HeatmapSvgSize {
  return { width: LEFT + columns.length * CELL_W + 10, height: TOP + rows.length * CELL_H + 10 };
}

/** The heat map as a standalone SVG: title, block / linear headers, row labels ("#2 Wanda · 69.0%": realised sparsity), one <rect> + value per cell. */
export function heatmapSvg(title: string, columns: HeatColumn[], rows: HeatRow[]): string {
  const { width, height } = heatmapSvgSize(columns, rows);
  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`,
    `<title>${xmlEscape(title)}</title>`,
    `<rect class="background" x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="20" font-size="15" font-weight="600" fill="#111827">${xmlEscape(title)}</text>`,
  ];
  columns.forEach((column, c) => {
    const x = LEFT + c * CELL_W + CELL_W / 2;
    if (c === 0 || columns[c - 1].block !== column.block) parts.push(`<text x="${LEFT + c * CELL_W + 2}" y="40" font-size="11" fill="#374151">block ${column.block}</text>`);
    parts.push(`<text x="${x}" y="${TOP - 6}" font-size="9" text-anchor="middle" fill="#6b7280">${xmlEscape(column.linear)}</text>`);
  });
  rows.forEach((row, r) => {
    const y = TOP + r * CELL_H;
    parts.push(`<text x="8" y="${y + CELL_H / 2 + 4}" font-size="11" fill="#111827">${xmlEscape(heatRowLabel(row))}</text>`);
    row.cells.forEach((cell, c) => {
      const x = LEFT + c * CELL_W;
      const fill = cell.sparsity === null ? removedColor : heatColor(cell.sparsity);
      const label = cell.sparsity === null ? 'removed' : cell.sparsity.toFixed(4);
      parts.push(`<rect class="cell" x="${x}" y="${y}" width="${CELL_W - 1}" height="${CELL_H - 1}" fill="${fill}"><title>${xmlEscape(`#${row.number} block ${columns[c].block} ${columns[c].linear}: ${label}`)}</title></rect>`);
      const text = cell.sparsity === null ? '×' : String(Math.round(cell.sparsity * 100));
      const color = cell.sparsity === null ? '#374151' : heatTextColor(cell.sparsity);
      parts.push(`<text x="${x + CELL_W / 2}" y="${y + CELL_H / 2 + 3}" font-size="9" text-anchor="middle" fill="${color}">${text}</text>`);
    });
  });
  parts.push(`</svg>`, '');
  return parts.join('\n');
}

/** Rasterises an SVG text (through an <img> from an object URL) to a PNG on white. */
export async function svgToPng(svgText: string, size: HeatmapSvgSize, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = size.width * scale;
    canvas.height = size.height * scale;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await canvasToPng(canvas);
  } finally {
    URL.revokeObjectURL(url);
  }
}
