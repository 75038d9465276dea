// Page header: what the lab runs on (WebGPU adapter or WASM), and a plain warning for software adapters.

import { useLab } from '../store/use-lab';

export function Header() {
  const backend = useLab((s) => s.backend);
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
            <span className="badge" data-testid="precision" title={backend.precisionReason}>
              {backend.precision}
            </span>
            <span data-testid="adapter">{adapterText}</span>
            <span className="muted">
              {backend.threads} thread{backend.threads === 1 ? '' : 's'}
            </span>
            {backend.fallbackReason && (
              <span className="muted" data-testid="fallback-reason">
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
