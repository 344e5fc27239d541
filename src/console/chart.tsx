/** A uPlot chart as a Preact component: made once per series layout, given new data in place. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartProps {
  title: string;
  /** Series names after x; x is epoch seconds. */
  series: string[];
  data: uPlot.AlignedData;
  height?: number;
  /** Fill between the series with these indices (1-based), e.g. a high/low band. */
  band?: [number, number];
  testId?: string;
}

const colors = ['#2f7ed8', '#d9534f', '#5cb85c', '#f0ad4e'];

export function Chart({ title, series, data, height = 220, band, testId }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const layout = `${title}|${series.join(',')}|${band?.join(',') ?? ''}`;

  useEffect(() => {
    const el = host.current!;
    const options: uPlot.Options = {
      title,
      width: Math.max(320, el.clientWidth),
      height,
      // Drag to zoom on x; double-click returns to the whole range.
      cursor: { drag: { x: true, y: false } },
      series: [{}, ...series.map((label, i) => ({ label, stroke: colors[i % colors.length], width: 1.5 }))],
      ...(band ? { bands: [{ series: band, fill: 'rgba(47,126,216,0.12)' }] } : {}),
    };
    plot.current = new uPlot(options, data, el);
    const resize = () => plot.current?.setSize({ width: Math.max(320, el.clientWidth), height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current?.destroy();
      plot.current = null;
    };
    // The chart is remade only when its layout changes; data goes in through setData below.
  }, [layout]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  /** Moves the visible x range by `fraction` of its width (negative: back in time). */
  const pan = (fraction: number) => {
    const u = plot.current;
    const { min, max } = u?.scales.x ?? {};
    if (u === null || min == null || max == null) return;
    const shift = (max - min) * fraction;
    u.setScale('x', { min: min + shift, max: max + shift });
  };

  /** Zooms the x range about the cursor, by a tenth per wheel step. */
  const zoom = (event: WheelEvent) => {
    const u = plot.current;
    const { min, max } = u?.scales.x ?? {};
    if (u === null || min == null || max == null || u.cursor.left == null || u.cursor.left < 0) return;
    event.preventDefault();
    const at = u.posToVal(u.cursor.left, 'x');
    const factor = event.deltaY < 0 ? 0.9 : 1 / 0.9;
    u.setScale('x', { min: at - (at - min) * factor, max: at + (max - at) * factor });
  };

  return (
    <div class="chart-box">
      <div class="chart" ref={host} data-testid={testId} onWheel={zoom} />
      <div class="chart-pan">
        <button type="button" onClick={() => pan(-0.5)} aria-label="earlier">
          ◀
        </button>
        <button type="button" onClick={() => pan(0.5)} aria-label="later">
          ▶
        </button>
      </div>
    </div>
  );
}
