// One uPlot chart's lifecycle for a React component: build it in the container (again when
// `rebuildKey` changes, e.g. a new series), follow the container's width, set new data when
// `dataKey` changes, destroy it on unmount. The charts (PerplexityChart, SlebChart, RunsChart) share it.

import { useEffect, useRef, type RefObject } from 'react';
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
    plot.current = new uPlot({ ...built, width: width(), height }, latest.current.data(), element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: width(), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [rebuildKey, height]);

  useEffect(() => {
    plot.current?.setData(latest.current.data());
  }, [dataKey]);

  return container;
}
