// Calibration, evaluation and speed settings of a pruning run (the store holds them as typed text).

import type { ReactNode } from 'react';
import type { PruneSettings } from '../store/pruning-state';
import { evaluationText, evaluatesCalibrationText } from '../store/pruning-state';
import { TextFileInput } from './TextFileInput';

const textNames = { tinystories: 'TinyStories', wikitext2: 'WikiText-2' } as const;

interface Props {
  settings: PruneSettings;
  errors: Record<string, string>;
  disabled: boolean;
  onChange: (settings: Partial<PruneSettings>) => void;
  onFileError: (error: unknown) => void;
}

function Field(props: { id: keyof PruneSettings; label: string; help?: string; error?: string; children: (describedBy: string | undefined) => ReactNode }) {
  const helpId = props.help ? `prune-${props.id}-help` : undefined;
  const errorId = props.error ? `prune-${props.id}-error` : undefined;
  const describedBy = [helpId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className="param">
      <label htmlFor={`prune-${props.id}`}>{props.label}</label>
      {props.children(describedBy)}
      {props.help && <span id={helpId} className="help">{props.help}</span>}
      {props.error && <span id={errorId} className="field-error" role="alert">{props.error}</span>}
    </div>
  );
}

function NumberSetting(props: Props & { id: keyof PruneSettings; label: string; help?: string; min: number }) {
  return (
    <Field id={props.id} label={props.label} help={props.help} error={props.errors[props.id]}>
      {(describedBy) => (
        <input
          id={`prune-${props.id}`}
          type="number"
          min={props.min}
          step={1}
          data-testid={`prune-${props.id}`}
          aria-describedby={describedBy}
          disabled={props.disabled}
          value={String(props.settings[props.id] ?? '')}
          onChange={(e) => props.onChange({ [props.id]: e.target.value })}
        />
      )}
    </Field>
  );
}

export function PruneSettingsForm(props: Props) {
  const { settings, disabled, onChange } = props;
  const calibrationName = settings.calibrationText === 'file' ? (settings.calibrationFile?.name ?? 'the chosen file') : textNames[settings.calibrationText];
  const otherName = textNames[settings.calibrationText === 'tinystories' ? 'wikitext2' : 'tinystories'];
  const evalChoice = evaluationText(settings);
  const evalName = evalChoice === 'file' ? calibrationName : textNames[evalChoice];
  return (
    <>
      <fieldset className="settings" data-testid="calibration-settings">
        <legend>Calibration data</legend>
        <Field id="calibrationText" label="Text" error={props.errors.calibrationFile}>
          {(describedBy) => (
            <select id="prune-calibrationText" data-testid="prune-calibrationText" aria-describedby={describedBy} disabled={disabled}
              value={settings.calibrationText} onChange={(e) => onChange({ calibrationText: e.target.value as PruneSettings['calibrationText'] })}>
              <option value="tinystories">TinyStories (validation sample)</option>
              <option value="wikitext2">WikiText-2 (raw test)</option>
              <option value="file">{settings.calibrationFile ? `File: ${settings.calibrationFile.name}` : 'A .txt file…'}</option>
            </select>
          )}
        </Field>
        {settings.calibrationText === 'file' && (
          <Field id="calibrationFile" label="Text file">
            {() => (
              <TextFileInput id="prune-calibrationFile" accept=".txt,text/plain" data-testid="prune-calibrationFile" disabled={disabled}
                onText={(calibrationFile) => onChange({ calibrationFile })} onError={props.onFileError} />
            )}
          </Field>
        )}
        <NumberSetting {...props} id="calibrationWindows" label="Windows" min={1}
          help="Calibration windows; papers use 128 of 2048 tokens. Each costs forward passes, and a software adapter (SwiftShader) is slow: 16 is a quick start." />
        <NumberSetting {...props} id="calibrationSeqLen" label="Window length (tokens)" min={2} help="Tokens per window, capped at the model's context." />
        <Field id="sampling" label="Sampling">
          {(describedBy) => (
            <select id="prune-sampling" data-testid="prune-sampling" aria-describedby={describedBy} disabled={disabled}
              value={settings.sampling} onChange={(e) => onChange({ sampling: e.target.value as PruneSettings['sampling'] })}>
              <option value="first">First windows</option>
              <option value="random">Random windows (seeded)</option>
            </select>
          )}
        </Field>
        <NumberSetting {...props} id="seed" label="Seed" min={0} help="Picks the random windows; the same seed gives the same windows." />
      </fieldset>
      <fieldset className="settings" data-testid="evaluation-settings">
        <legend>Evaluation</legend>
        <label className="check">
          <input type="checkbox" data-testid="prune-evaluate" disabled={disabled} checked={settings.evaluate} onChange={(e) => onChange({ evaluate: e.target.checked })} />{' '}
          Perplexity before and after
        </label>
        {settings.evaluate && (
          <>
            <Field
              id="evalText"
              label="Held-out text"
              help={
                evaluatesCalibrationText(settings)
                  ? `Scored on the last quarter of ${evalName}, before and after on the same windows; calibration reads only its first three quarters.`
                  : `Scored on the last quarter of ${evalName}, before and after on the same windows.`
              }
            >
              {(describedBy) => (
                <select id="prune-evalText" data-testid="prune-evalText" aria-describedby={describedBy} disabled={disabled}
                  value={settings.evalText} onChange={(e) => onChange({ evalText: e.target.value as PruneSettings['evalText'] })}>
                  <option value="same">Same as calibration ({calibrationName}), held-out quarter</option>
                  <option value="other">The other bundled text ({otherName})</option>
                  <option value="tinystories">TinyStories</option>
                  <option value="wikitext2">WikiText-2</option>
                </select>
              )}
            </Field>
            <NumberSetting {...props} id="evalSeqLen" label="Window length (tokens)" min={2} />
            <NumberSetting {...props} id="evalMaxWindows" label="Windows" min={1} />
          </>
        )}
        <label className="check">
          <input type="checkbox" data-testid="prune-measureSpeed" disabled={disabled} checked={settings.measureSpeed} onChange={(e) => onChange({ measureSpeed: e.target.checked })} />{' '}
          Measure speed (dense and pruned, same run)
        </label>
        {settings.measureSpeed && (
          <>
            <NumberSetting {...props} id="speedPromptTokens" label="Prompt tokens" min={1} />
            <NumberSetting {...props} id="speedGenTokens" label="Generated tokens" min={1} />
            <NumberSetting {...props} id="speedRuns" label="Runs" min={1} />
          </>
        )}
        <label className="check">
          <input type="checkbox" data-testid="prune-measureAccuracy" disabled={disabled} checked={settings.measureAccuracy} onChange={(e) => onChange({ measureAccuracy: e.target.checked })} />{' '}
          Zero-shot accuracy on HellaSwag (dense and pruned, same items)
        </label>
        {settings.measureAccuracy && <NumberSetting {...props} id="accuracyItems" label="Items" min={1} />}
        <label className="check">
          <input type="checkbox" data-testid="prune-generate" disabled={disabled} checked={settings.generate} onChange={(e) => onChange({ generate: e.target.checked })} />{' '}
          Generate text from one prompt (dense and pruned, side by side)
        </label>
        {settings.generate && (
          <>
            <Field id="generatePrompt" label="Prompt" error={props.errors.generatePrompt}>
              {(describedBy) => (
                <input id="prune-generatePrompt" data-testid="prune-generatePrompt" type="text" aria-describedby={describedBy} disabled={disabled}
                  value={settings.generatePrompt} onChange={(e) => onChange({ generatePrompt: e.target.value })} />
              )}
            </Field>
            <NumberSetting {...props} id="generateTokens" label="New tokens" min={1} />
          </>
        )}
      </fieldset>
    </>
  );
}
