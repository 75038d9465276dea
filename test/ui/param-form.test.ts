// ParamForm rendered to HTML (react-dom/server): every ParamSpec type becomes its control with
// min/max/step, options, a label and its help as description; errors are shown and described.

import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ParamSpec } from '../../src/pruning/method';
import { defaultFormValues, parseParams } from '../../src/store/param-values';
import { ParamForm } from '../../src/ui/ParamForm';
import { fakeMethods } from '../lab/fake-lab';

function render(params: ParamSpec[], values = defaultFormValues(params), errors: Record<string, string> = {}): string {
  return renderToStaticMarkup(createElement(ParamForm, { idPrefix: 'p', params, values, errors, onChange: () => {} }));
}

/** The opening tag of the element with this data-testid. */
function tagOf(html: string, testId: string): string {
  const match = html.match(new RegExp(`<[a-z]+[^>]*data-testid="${testId}"[^>]*>`));
  if (!match) throw new Error(`no element with data-testid="${testId}" in ${html}`);
  return match[0];
}

describe('ParamForm', () => {
  const wanda = fakeMethods().find((m) => m.id === 'wanda')!;

  it('builds a number input with min, max, step and value from a number spec', () => {
    const tag = tagOf(render(wanda.params), 'param-sparsity');
    expect(tag).toMatch(/^<input/);
    for (const attr of ['type="number"', 'min="0"', 'max="0.99"', 'step="0.01"', 'value="0.5"', 'id="p-sparsity"']) expect(tag).toContain(attr);
  });

  it('builds a select with every option for an enum and a checkbox for a boolean', () => {
    const html = render(wanda.params);
    expect(tagOf(html, 'param-pattern')).toMatch(/^<select/);
    expect(html).toContain('<option value="unstructured" selected="">Unstructured</option>');
    expect(html).toContain('<option value="2:4">2:4</option>');
    const check = tagOf(html, 'param-perRow');
    expect(check).toContain('type="checkbox"');
    expect(check).toContain('checked=""');
  });

  it('builds a text input with the "e.g. 1,3" hint for a block list, and integer step 1 by default', () => {
    const params: ParamSpec[] = [
      { name: 'blocks', label: 'Blocks', type: 'block-list', default: '', help: 'Which blocks.' },
      { name: 'n', label: 'N', type: 'integer', default: 3, min: 1, help: 'How many.' },
    ];
    const html = render(params);
    const blocks = tagOf(html, 'param-blocks');
    expect(blocks).toContain('type="text"');
    expect(blocks).toContain('placeholder="e.g. 1,3"');
    expect(tagOf(html, 'param-n')).toContain('step="1"');
    expect(tagOf(html, 'param-n')).not.toContain('max=');
  });

  it('labels every control and describes it with its help text', () => {
    const html = render(wanda.params);
    for (const spec of wanda.params) {
      expect(html).toContain(`for="p-${spec.name}"`);
      expect(tagOf(html, `param-${spec.name}`)).toContain(`aria-describedby="p-${spec.name}-help"`);
      expect(html).toContain(`<span id="p-${spec.name}-help" class="help">${spec.help.replace(/&/g, '&amp;')}</span>`);
    }
  });

  it('shows a validation error next to its control and adds it to the description', () => {
    const values = { ...defaultFormValues(wanda.params), sparsity: '3' };
    const { errors } = parseParams(wanda.params, values);
    const html = render(wanda.params, values, errors);
    const tag = tagOf(html, 'param-sparsity');
    expect(tag).toContain('aria-invalid="true"');
    expect(tag).toContain('aria-describedby="p-sparsity-help p-sparsity-error"');
    expect(html).toContain('Sparsity: must be between 0 and 0.99, got 3.');
  });

  it('renders a method it has never seen (no per-method UI code)', () => {
    const params: ParamSpec[] = [
      { name: 'temperature', label: 'Temperature', type: 'number', default: 0.25, min: 0, max: 2, step: 0.05, help: 'Softness.' },
      { name: 'mode', label: 'Mode', type: 'enum', default: 'b', options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }], help: 'Mode.' },
    ];
    const html = render(params);
    expect(tagOf(html, 'param-temperature')).toContain('step="0.05"');
    expect(html).toContain('<option value="b" selected="">B</option>');
  });
});
