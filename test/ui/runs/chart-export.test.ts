// The heat map's SVG export: well-formed XML (checked by a small tag-balancing reader: no XML parser in
// Node), one <rect> per cell plus the background, colours and titles from the data, text escaped.

import { describe, expect, it } from 'vitest';
import { fileStem, heatmapSvg, heatmapSvgSize, svgWithImage, xmlEscape } from '../../../src/ui/runs/chart-export';
import { heatColor, heatColumns, heatRows, numbered } from '../../../src/ui/runs/run-views-data';
import { newRun, oldRun } from './fixtures';

interface XmlElement { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

/** Reads well-formed XML (declaration, elements, attributes in double quotes, text, the 5 predefined entities); throws otherwise. */
function readXml(xml: string): XmlElement {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack = [root];
  const token = /<\/([\w:-]+)\s*>|<([\w:-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let at = 0;
  while (at < body.length && (match = token.exec(body))) {
    at = token.lastIndex;
    const [, close, open, attrText, selfClose, text] = match;
    const top = stack[stack.length - 1];
    if (close) {
      if (top.name !== close) throw new Error(`</${close}> closes <${top.name}>`);
      stack.pop();
    } else if (open) {
      const attrs: Record<string, string> = {};
      for (const [, k, v] of attrText.matchAll(/([\w:-]+)="([^"]*)"/g)) {
        if (k in attrs) throw new Error(`duplicate attribute ${k}`);
        attrs[k] = v;
      }
      const element: XmlElement = { name: open, attrs, children: [], text: '' };
      top.children.push(element);
      if (!selfClose) stack.push(element);
    } else if (text !== undefined) {
      if (/&(?!(lt|gt|amp|quot|apos);)/.test(text)) throw new Error(`unescaped & in ${text}`);
      top.text += text;
    }
  }
  if (at !== body.length) throw new Error(`not XML at ${body.slice(at, at + 40)}`);
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1].name}> is not closed`);
  const elements = root.children;
  if (elements.length !== 1) throw new Error('not one root element');
  return elements[0];
}

const all = (e: XmlElement, name: string): XmlElement[] => [...(e.name === name ? [e] : []), ...e.children.flatMap((c) => all(c, name))];

describe('heatmapSvg', () => {
  const runs = numbered([newRun(), oldRun({ methodLabel: 'Drop <blocks> & "friends"' })]);
  const columns = heatColumns(runs.map((r) => r.run));
  const rows = heatRows(runs, columns);

  it('is well-formed SVG with one rect per cell plus the background, sized as heatmapSvgSize says', () => {
    const svg = readXml(heatmapSvg('Per-layer sparsity', columns, rows));
    expect(svg.name).toBe('svg');
    expect(svg.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const size = heatmapSvgSize(columns, rows);
    expect(svg.attrs.width).toBe(String(size.width));
    expect(svg.attrs.height).toBe(String(size.height));
    const cells = all(svg, 'rect').filter((r) => r.attrs.class === 'cell');
    expect(all(svg, 'rect')).toHaveLength(columns.length * rows.length + 1);
    expect(cells).toHaveLength(2 * 9);
    // First row's first cell: run #1 block 0 q at 0.5; the old run's removed block is grey and says so.
    expect(cells[0].attrs.fill).toBe(heatColor(0.5));
    expect(cells[0].children[0].text).toBe('#1 block 0 q: 0.5000');
    expect(cells[9 + 3].children[0].text).toBe('#2 block 1 q: removed');
  });

  it('escapes labels (<, &, ")', () => {
    const text = heatmapSvg('A & B', columns, rows);
    expect(text).toContain('Drop &lt;blocks&gt; &amp; &quot;friends&quot;');
    expect(() => readXml(text)).not.toThrow();
  });

  it('no runs: still a valid SVG with only the background', () => {
    const svg = readXml(heatmapSvg('empty', [], []));
    expect(all(svg, 'rect')).toHaveLength(1);
  });
});

describe('svgWithImage / helpers', () => {
  it('wraps a raster in a well-formed SVG with its title', () => {
    const svg = readXml(svgWithImage('data:image/png;base64,AAAA', 300, 200, 'Speed <dense>'));
    expect(all(svg, 'image')[0].attrs.href).toBe('data:image/png;base64,AAAA');
    expect(all(svg, 'title')[0].text).toBe('Speed &lt;dense&gt;');
  });

  it('file stems and escaping', () => {
    expect(fileStem('Quality vs speed!')).toBe('quality-vs-speed');
    expect(xmlEscape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});
