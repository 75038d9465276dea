// The page: header, error, the intro (what this is), model in (drop zone) and model card, pruning, recovery
// fine-tuning, the runs so far, then the three measurement panels.

import { DropZone } from './DropZone';
import { ErrorAlert } from './ErrorAlert';
import { FinetunePanel } from './FinetunePanel';
import { AccuracyPanel } from './AccuracyPanel';
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
      <Header />
      <main className="main">
        <ErrorAlert />
        <Intro />
        <DropZone />
        <ModelCard />
        <PrunePanel />
        <FinetunePanel />
        <RunsPanel />
        <EvaluationPanel />
        <AccuracyPanel />
        <LawsPanel />
        <SpeedPanel />
        <GeneratePanel />
      </main>
      <footer className="footer muted small">Everything runs in this tab. Nothing you drop leaves the machine.</footer>
    </>
  );
}
