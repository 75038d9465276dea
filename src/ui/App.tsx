// The page: a skip link, the header, the error, then the workspace. At 1200 px and wider the workspace is
// two columns: the controls (model in, model card, Prune, fine-tuning) beside the results (the current
// run live, the intro until a run exists, the Runs table and charts, the measurement panels), so a run
// and its charts are seen together; narrower, one column in the same order.

import { DropZone } from './DropZone';
import { ErrorAlert } from './ErrorAlert';
import { FinetunePanel } from './FinetunePanel';
import { AccuracyPanel } from './AccuracyPanel';
import { CurrentRunPanel } from './CurrentRunPanel';
import { LawsPanel } from './laws/LawsPanel';
import { EvaluationPanel } from './EvaluationPanel';
import { GeneratePanel } from './GeneratePanel';
import { Header } from './Header';
import { Intro } from './Intro';
import { ModelCard } from './ModelCard';
import { PrunePanel } from './PrunePanel';
import { RunsPanel } from './RunsPanel';
import { SpeedPanel } from './SpeedPanel';

export function App() {
  return (
    <>
      <a className="skip-link" href="#prune-title" data-testid="skip-link">
        Skip to the Prune controls
      </a>
      <Header />
      <main className="main">
        <ErrorAlert />
        <div className="workspace" data-testid="workspace">
          <div className="workspace-controls" data-testid="workspace-controls">
            <DropZone />
            <ModelCard />
            <PrunePanel />
            <FinetunePanel />
          </div>
          <div className="workspace-results" data-testid="workspace-results">
            <CurrentRunPanel />
            <Intro />
            <RunsPanel />
            <EvaluationPanel />
            <AccuracyPanel />
            <LawsPanel />
            <SpeedPanel />
            <GeneratePanel />
          </div>
        </div>
      </main>
      <footer className="footer muted small">Everything runs in this tab. Nothing you drop leaves the machine.</footer>
    </>
  );
}
