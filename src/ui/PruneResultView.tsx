// A pruning run's result: perplexity before → after, sparsity, removed blocks, sizes, plan stats,
// speed dense vs pruned (with the method's speed note beside the figures), trace, and the download.

import type { ReactNode } from 'react';
import type { BenchResult, PruneResult } from '../lab/lab-api';
import { BlockDiagram, LayerSparsityTable } from './BlockDiagram';
import { ExportButton } from './ExportButton';
import { formatCount, formatNumber } from './format';
import { TraceView } from './TraceView';

function Fact(props: { label: string; testId: string; value?: number; children: ReactNode }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd data-testid={props.testId} data-value={props.value === undefined ? undefined : String(props.value)}>
        {props.children}
      </dd>
    </div>
  );
}

function SpeedRow(props: { label: string; id: string; dense: number; pruned: number; digits: number; higherIsBetter: boolean }) {
  const ratio = props.higherIsBetter ? props.pruned / props.dense : props.dense / props.pruned;
  return (
    <tr>
      <th scope="row">{props.label}</th>
      <td data-testid={`prune-speed-${props.id}-dense`} data-value={String(props.dense)}>{formatNumber(props.dense, props.digits)}</td>
      <td data-testid={`prune-speed-${props.id}-pruned`} data-value={String(props.pruned)}>{formatNumber(props.pruned, props.digits)}</td>
      <td data-testid={`prune-speed-${props.id}-speedup`} data-value={String(ratio)}>×{formatNumber(ratio, 2)}</td>
    </tr>
  );
}

function SpeedComparison({ dense, pruned, note }: { dense: BenchResult; pruned: BenchResult; note: string }) {
  return (
    <div className="speed-compare" data-testid="prune-speed">
      <table className="table results">
        <thead>
          <tr>
            <th scope="col">
              Speed ({dense.promptTokens} prompt + {dense.genTokens} generated tokens, median of {dense.runs})
            </th>
            <th scope="col">Dense</th>
            <th scope="col">Pruned</th>
            <th scope="col">Speed-up</th>
          </tr>
        </thead>
        <tbody>
          <SpeedRow label="Prefill (ms)" id="prefill-ms" dense={dense.prefillMs.median} pruned={pruned.prefillMs.median} digits={1} higherIsBetter={false} />
          <SpeedRow label="Decode (tokens/s)" id="decode-tps" dense={dense.decodeTokensPerS.median} pruned={pruned.decodeTokensPerS.median} digits={1} higherIsBetter />
        </tbody>
      </table>
      <p className="speed-note" data-testid="speed-note">{note}</p>
      {dense.isSoftwareAdapter && <p className="muted small">Software adapter ({dense.adapter ?? dense.backend}): these timings say nothing about GPU speed.</p>}
    </div>
  );
}

export function PruneResultView({ result, methodLabel }: { result: PruneResult; methodLabel: string }) {
  const { pplBefore, pplAfter, stats } = result;
  return (
    <div className="prune-result" data-testid="prune-result" data-method={result.methodId}>
      <h3>
        Result: {methodLabel} <span className="muted small">({(result.elapsedMs / 1000).toFixed(1)} s)</span>
      </h3>
      <dl className="facts">
        {pplBefore && pplAfter && (
          <Fact label={`Perplexity (${pplAfter.textName}, ${pplAfter.windows} × ${pplAfter.seqLen} tokens)`} testId="prune-ppl">
            <span data-testid="prune-ppl-before" data-value={String(pplBefore.ppl)}>{formatNumber(pplBefore.ppl, 4)}</span> →{' '}
            <strong data-testid="prune-ppl-after" data-value={String(pplAfter.ppl)}>{formatNumber(pplAfter.ppl, 4)}</strong>
          </Fact>
        )}
        <Fact label="Overall sparsity (block linears)" testId="prune-overall-sparsity" value={result.overallSparsity}>
          {result.overallSparsity.toFixed(4)}
        </Fact>
        <Fact label="Layers before → after" testId="prune-layers" value={result.layersAfter}>
          {result.layersBefore} → {result.layersAfter}
        </Fact>
        <Fact label="Removed blocks" testId="prune-removed">
          <span data-value={result.removedBlocks.join(',')}>{result.removedBlocks.length ? result.removedBlocks.join(', ') : 'none'}</span>
        </Fact>
        <Fact label="Parameters before → after" testId="prune-parameters" value={result.parametersAfter}>
          {formatCount(result.parametersBefore)} → {formatCount(result.parametersAfter)}
        </Fact>
        <Fact label="Calibration" testId="prune-calibration">
          {result.calibration.windows} × {result.calibration.seqLen} tokens of {result.calibration.textName} ({result.calibration.sampling}
          {result.calibration.sampling === 'random' ? `, seed ${result.calibration.seed}` : ''})
        </Fact>
      </dl>
      <BlockDiagram layersBefore={result.layersBefore} removedBlocks={result.removedBlocks} blockSparsity={result.blockSparsity} />
      {result.layerSparsity.length > 0 && <LayerSparsityTable layers={result.layerSparsity} />}
      <dl className="facts stats" data-testid="prune-stats">
        <Fact label="Calibration passes (ms)" testId="prune-stat-calibration-ms" value={stats.calibrationMs}>{Math.round(stats.calibrationMs)}</Fact>
        <Fact label="Method work (ms)" testId="prune-stat-method-ms" value={stats.methodMs}>{Math.round(stats.methodMs)}</Fact>
        <Fact label="Forward passes" testId="prune-stat-forward-passes" value={stats.forwardPasses}>{formatNumber(stats.forwardPasses, 1)}</Fact>
        <Fact label="Runtime sessions built" testId="prune-stat-sessions" value={stats.sessionsCreated}>{stats.sessionsCreated}</Fact>
      </dl>
      {result.speedBefore && result.speedAfter ? (
        <SpeedComparison dense={result.speedBefore} pruned={result.speedAfter} note={result.speedNote} />
      ) : (
        <p className="speed-note" data-testid="speed-note">{result.speedNote}</p>
      )}
      <TraceView trace={result.trace} numBlocks={result.layersBefore} />
      <ExportButton />
    </div>
  );
}
