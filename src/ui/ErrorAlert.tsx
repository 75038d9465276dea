// The visible error: the code's plain-language hint, the lab's own message (which names the file), a
// reminder that the previous model is still loaded; the code and details behind a Details toggle.

import { useEffect, useRef } from 'react';
import { useLab } from '../store/use-lab';
import { errorHints } from './error-hints';

export function ErrorAlert() {
  const error = useLab((s) => s.error);
  const model = useLab((s) => s.model);
  const dismissError = useLab((s) => s.dismissError);
  const loadAnyway = useLab((s) => s.loadAnyway);
  const element = useRef<HTMLDivElement>(null);
  // A new error takes the focus, so keyboard and screen-reader users land on it wherever they were.
  useEffect(() => {
    if (error) element.current?.focus();
  }, [error]);
  if (!error) return null;
  return (
    <div ref={element} tabIndex={-1} className="alert" role="alert" data-testid="error-alert" data-code={error.code}>
      <div className="alert-title">
        {error.during} failed: {errorHints[error.code] ?? 'see the message below.'}
      </div>
      <div className="alert-message" data-testid="error-message">
        {error.message}
      </div>
      <details className="small muted" data-testid="error-details">
        <summary>Details</summary>
        error code <code>{error.code}</code>
        {error.details && Object.keys(error.details).length > 0 && <pre className="alert-details">{JSON.stringify(error.details, null, 2)}</pre>}
      </details>
      {model && <div className="muted">Still loaded: {model.name}.</div>}
      {error.code === 'import-mismatch' && (
        <button type="button" data-testid="load-anyway" onClick={() => void loadAnyway()}>
          Load anyway (results flagged)
        </button>
      )}
      <button type="button" onClick={dismissError} aria-label="Dismiss the error">
        Dismiss
      </button>
    </div>
  );
}
