// One uPlot chart's lifecycle for a React component: build it in the container (again when
// `rebuildKey` changes, e.g. a new series), follow the container's width, set new data when
// `dataKey` changes, destroy it on unmount. The charts (PerplexityChart, SlebChart, RunsChart, runs/*) share it;
// `plotRef` hands the plot out (the Runs views export its canvas).

import { useEffect, useRef, type MutableRefObject, type RefObject } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const MIN_WIDTH = 200;

export function useUPlot(options: {
  height: number;
  /** Series, scales and axes; null means nothing to draw yet (no plot is built). */
  build: () => Omit<uPlot.Options, 'width' | 'height'> | null;
  data: () => uPlot.AlignedData;
  rebuildKey: unknown;
  dataKey: unknown;
  /** Optional: receives the live plot (null when none), e.g. for PNG / SVG export of its canvas. */
  plotRef?: MutableRefObject<uPlot | null>;
}): RefObject<HTMLDivElement | null> {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(options);
  latest.current = options;
  const { height, rebuildKey, dataKey } = options;

  useEffect(() => {
    const element = container.current;
    const built = latest.current.build();
    if (!element || !built) return;
    const width = () => Math.max(MIN_WIDTH, element.clientWidth);
    // Legends name the series (values at the cursor read "--" until hovered; the data tables hold the values).
    plot.current = new uPlot({ legend: { live: false }, ...built, width: width(), height }, latest.current.data(), element);
    if (latest.current.plotRef) latest.current.plotRef.current = plot.current;
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: width(), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
      if (latest.current.plotRef) latest.current.plotRef.current = null;
    };
  }, [rebuildKey, height]);

  useEffect(() => {
    plot.current?.setData(latest.current.data());
  }, [dataKey]);

  return container;
}
