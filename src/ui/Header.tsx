// Page header: what the lab runs on (WebGPU adapter or WASM), whether the adapter passed its numeric
// self-test (else why the lab fell back to WASM), and a plain warning for software adapters.

import type { PrecisionRequest } from '../lab/lab-api';
import { useLab } from '../store/use-lab';

export function Header() {
  const backend = useLab((s) => s.backend);
  const precisionRequest = useLab((s) => s.precisionRequest);
  const setPrecision = useLab((s) => s.setPrecision);
  const adapter = backend?.adapter;
  const adapterText = adapter
    ? [adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter(Boolean).join(' · ') || 'unnamed adapter'
    : 'no GPU adapter';
  return (
    <header className="header">
      <h1>Prunelab</h1>
      <div className="backend" aria-live="polite">
        {backend ? (
          <>
            <span data-testid="backend-name" className="badge">
              {backend.backend === 'webgpu' ? 'WebGPU' : backend.backend === 'wasm' ? 'WASM' : backend.backend.toUpperCase()}
            </span>
            <label className="muted" title={backend.precisionReason}>
              precision{' '}
              <select
                data-testid="precision-select"
                value={precisionRequest}
                onChange={(e) => void setPrecision(e.target.value as PrecisionRequest)}
              >
                <option value="auto">auto</option>
                <option value="fp32">fp32</option>
                <option value="fp16">fp16</option>
              </select>{' '}
              <span className="badge" data-testid="precision">
                {backend.precision}
              </span>
            </label>
            <span data-testid="adapter">{adapterText}</span>
            <span className="muted">
              {backend.threads} thread{backend.threads === 1 ? '' : 's'}
            </span>
            {backend.selfTest?.passed && (
              <span className="muted" data-testid="self-test" data-passed="true" title={backend.selfTest.checks.map((c) => `${c.name}: ${c.maxAbsDiff.toExponential(1)}`).join(', ')}>
                numeric self-test passed
              </span>
            )}
            {backend.fallbackReason && (
              <span className={backend.selfTest ? 'warning' : 'muted'} data-testid="fallback-reason">
                WASM fallback: {backend.fallbackReason}
              </span>
            )}
          </>
        ) : (
          <span className="muted">Starting the lab…</span>
        )}
      </div>
      {backend?.isSoftwareAdapter && (
        <p className="warning" data-testid="software-warning">
          This WebGPU adapter is software (SwiftShader or another CPU renderer): timings here say nothing about GPU speed.
        </p>
      )}
    </header>
  );
}
