// Each Runs view rendered to HTML (react-dom/server): with old records (no layerSparsity / trace /
// generation / fp32BytesAfter, no speed) they render without throwing and say what is missing; with new
// records they show points, cells, diagrams, traces and generated text; charts carry role="img" + a label.

import { createElement, type FunctionComponent } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/store/run-record';
import { FrontierChart } from '../../../src/ui/runs/FrontierChart';
import { GenerationCompare } from '../../../src/ui/runs/GenerationCompare';
import { RunDiagrams } from '../../../src/ui/runs/RunDiagrams';
import { RunTraces } from '../../../src/ui/runs/RunTraces';
import { numbered, type NumberedRun } from '../../../src/ui/runs/run-views-data';
import { RunsViews } from '../../../src/ui/runs/RunsViews';
import { SparsityHeatmap } from '../../../src/ui/runs/SparsityHeatmap';
import { SpeedChart } from '../../../src/ui/runs/SpeedChart';
import { newRun, oldRun } from './fixtures';

const render = (view: FunctionComponent<{ runs: NumberedRun[] }>, runs: RunRecord[]) => renderToStaticMarkup(createElement(view, { runs: numbered(runs) }));
const count = (html: string, text: string) => html.split(text).length - 1;
const tagOf = (html: string, testId: string) => html.match(new RegExp(`<[a-z]+[^>]*data-testid="${testId}"[^>]*>`))?.[0] ?? '';

describe('Runs views with old records (no optional fields)', () => {
  const old = [oldRun(), oldRun({ id: 'old-2', removedBlocks: [], layersAfter: 3, blockSparsity: [0.1, 0.2, 0.3] })];

  it('speed and frontier say there is nothing to plot; their data tables are empty', () => {
    const speed = render(SpeedChart, old);
    expect(tagOf(speed, 'runs-speed-chart')).toContain('data-points="0"');
    expect(speed).toContain('No run measured speed yet');
    const frontier = render(FrontierChart, old);
    expect(tagOf(frontier, 'runs-frontier-chart')).toContain('data-points="0"');
    expect(frontier).toContain('≈ dense speed');
  });

  it('the heat map falls back to block averages, removed blocks marked', () => {
    const html = render(SparsityHeatmap, old);
    expect(count(html, 'data-testid="heat-cell"')).toBe(6);
    expect(count(html, 'data-source="removed"')).toBe(1);
    expect(html).toContain('data-value="0.2"');
    expect(html).toContain('<caption');
    expect(html).toContain('scope="row"');
  });

  it('diagrams, traces and generation render; traces and generation say none', () => {
    const diagrams = render(RunDiagrams, old);
    expect(count(diagrams, 'data-testid="run-diagram"')).toBe(2);
    expect(count(diagrams, 'data-removed="true"')).toBe(1);
    expect(render(RunTraces, old)).toContain('No run with a search trace yet');
    const generation = render(GenerationCompare, old);
    expect(generation).toContain('No run generated text yet');
    expect(count(generation, 'data-testid="run-generation"')).toBe(0);
  });

  it('the whole grid renders', () => {
    const html = renderToStaticMarkup(createElement(RunsViews, { runs: old, describedBy: 'caption' }));
    for (const id of ['runs-chart', 'runs-speed-chart', 'runs-frontier-chart', 'runs-heatmap', 'runs-diagrams', 'runs-trace', 'runs-generation']) expect(html).toContain(`data-testid="${id}"`);
  });
});

describe('Runs views with new records', () => {
  const runs = [newRun(), newRun({ id: 'new-2', decodeTokensPerSPruned: 140, pplAfter: 9, generation: null, trace: [] })];

  it('speed and frontier: points, a labelled chart image, export buttons with accessible names, a data table', () => {
    const speed = render(SpeedChart, runs);
    expect(tagOf(speed, 'runs-speed-chart')).toContain('data-points="2"');
    expect(speed).toContain('role="img"');
    expect(speed).toContain('aria-label="Download Speed, dense vs pruned chart as PNG"');
    expect(speed).toContain('<summary>Data table</summary>');
    const frontier = render(FrontierChart, runs);
    expect(tagOf(frontier, 'runs-frontier-chart')).toMatch(/data-points="2".*data-dense-points="2".*data-series="1"/);
    expect(tagOf(frontier, 'chart-export-svg')).toContain('data-chart="frontier"');
    expect(frontier).toMatch(/role="img" aria-label="Perplexity after pruning vs decode tokens per second/);
  });

  it('heat map cells per linear with colours; traces show SLEB; generation texts side by side (escaped)', () => {
    const heat = render(SparsityHeatmap, runs);
    expect(count(heat, 'data-testid="heat-cell"')).toBe(18);
    expect(heat).toContain('data-value="0.72"');
    expect(heat).toMatch(/background:#[0-9a-f]{6}/);
    const traces = render(RunTraces, runs);
    expect(tagOf(traces, 'runs-trace')).toContain('data-runs="1"');
    expect(count(traces, 'data-testid="runs-trace-sleb-step"')).toBe(1);
    const generation = render(GenerationCompare, runs);
    expect(count(generation, 'data-testid="run-generation"')).toBe(1);
    expect(generation).toContain('data-testid="run-generation-dense">Once upon a time, there was &lt;Lily&gt;</p>');
    expect(generation).toContain('data-testid="run-generation-pruned">Once upon a time the the</p>');
  });
});
