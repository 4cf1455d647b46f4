/**
 * A chart (Chart.js, only the parts used, loaded with the admin view) with
 * what a screen reader or a reader of numbers needs: a title, a one-sentence
 * summary as the canvas's accessible name, and the numbers in a table under a
 * "details" toggle.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, Legend);

/** Colours that pass WCAG AA as text on the page's background, light or dark (see style.css). */
export function palette(): { text: string; grid: string; series: string[]; good: string; bad: string } {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--text-soft', '#475467'),
    grid: v('--line', '#d0d5dd'),
    good: v('--good', '#067647'),
    bad: v('--chart-bad', '#b54708'),
    series: [v('--chart-1', '#1f5fbf'), v('--chart-2', '#b54708'), v('--chart-3', '#067647'), v('--chart-4', '#7a3fbf'), v('--chart-5', '#a3195b'), v('--chart-6', '#4e5ba6'), v('--chart-7', '#6b7280')],
  };
}

export function ChartFigure({
  id,
  title,
  summary,
  config,
  height = 260,
  children,
}: {
  id: string;
  title: string;
  /** One sentence that says what the chart shows: the canvas's accessible name. */
  summary: string;
  config: ChartConfiguration;
  height?: number;
  /** The numbers, as a table: shown under "Show the numbers". */
  children?: ComponentChildren;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const p = palette();
    Chart.defaults.color = p.text;
    Chart.defaults.borderColor = p.grid;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    const reduce = matchMedia('(prefers-reduced-motion: reduce)').matches;
    chart.current?.destroy();
    chart.current = new Chart(canvas.current, { ...config, options: { animation: reduce ? false : { duration: 300 }, maintainAspectRatio: false, responsive: true, ...config.options } } as ChartConfiguration);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, [config]);
  return (
    <figure class="chart" aria-labelledby={`${id}-title`} data-chart={id}>
      <figcaption>
        <h3 id={`${id}-title`}>{title}</h3>
      </figcaption>
      <div class="chart-box" style={{ height: `${height}px` }}>
        <canvas ref={canvas} role="img" aria-label={summary}>
          {summary}
        </canvas>
      </div>
      {children && (
        <details class="numbers">
          <summary>Show the numbers</summary>
          {children}
        </details>
      )}
    </figure>
  );
}
