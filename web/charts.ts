/**
 * The last minutes, kept in the page from the status pushes (nothing is stored by the daemon):
 * one sample per push per series, at most HISTORY_SECONDS back, drawn with uPlot.
 */
import uPlot from 'uplot';
import { el } from './dom.js';

export const HISTORY_SECONDS = 300;

const PALETTE = ['#2f7ed8', '#e8590c', '#2b8a3e', '#9c36b5', '#c92a2a', '#0b7285', '#5f3dc4', '#a61e4d'];

export interface Sample {
  readonly label: string;
  readonly value: number | null;
  readonly dashed?: boolean;
}

interface Series {
  readonly label: string;
  readonly dashed: boolean;
  readonly values: (number | null)[];
}

/** Samples by series key over a sliding window of time (seconds). */
export class History {
  readonly t: number[] = [];
  readonly series = new Map<string, Series>();

  constructor(private readonly windowSeconds = HISTORY_SECONDS) {}

  push(t: number, samples: ReadonlyMap<string, Sample>): void {
    // uPlot needs ascending times; a fetched status may be older than a pushed one.
    if (this.t.length > 0 && t <= this.t[this.t.length - 1]!) return;
    this.t.push(t);
    for (const [k, s] of this.series) s.values.push(samples.get(k)?.value ?? null);
    for (const [k, s] of samples) {
      if (this.series.has(k)) continue;
      const values: (number | null)[] = new Array<number | null>(this.t.length - 1).fill(null);
      values.push(s.value);
      this.series.set(k, { label: s.label, dashed: s.dashed ?? false, values });
    }
    let drop = 0;
    while (drop < this.t.length && this.t[drop]! < t - this.windowSeconds) drop++;
    if (drop > 0) {
      this.t.splice(0, drop);
      for (const s of this.series.values()) s.values.splice(0, drop);
    }
    for (const [k, s] of this.series) if (s.values.every((v) => v === null)) this.series.delete(k);
  }

  clear(): void {
    this.t.length = 0;
    this.series.clear();
  }
}

/** One uPlot chart over a History, rebuilt only when its set of series changes. */
export class Chart {
  private plot: uPlot | null = null;
  private signature = '';
  private readonly box: HTMLElement;
  private readonly note: HTMLElement;

  constructor(
    parent: HTMLElement,
    private readonly title: string,
    private readonly unit: string,
  ) {
    this.note = el('p', { class: 'note' });
    this.box = el('div', { class: 'plot' });
    parent.append(el('h3', {}, title), this.note, this.box);
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(parent);
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(240, this.box.clientWidth), height: 170 };
  }

  /** Draws the history, or says why there is nothing to draw. */
  render(history: History, emptyNote: string | null): void {
    this.note.textContent = emptyNote ?? '';
    this.note.hidden = emptyNote === null;
    const keys = [...history.series.keys()];
    const signature = keys.join('\n');
    if (emptyNote !== null || keys.length === 0) {
      this.plot?.destroy();
      this.plot = null;
      this.signature = '';
      if (emptyNote === null) {
        this.note.textContent = 'no samples yet';
        this.note.hidden = false;
      }
      return;
    }
    const data: uPlot.AlignedData = [history.t, ...keys.map((k) => history.series.get(k)!.values)];
    if (this.plot !== null && signature === this.signature) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.signature = signature;
    const unit = this.unit;
    this.plot = new uPlot(
      {
        ...this.size(),
        // The legend names the series; the values are on the axes.
        legend: { live: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{}, { values: (_u, ticks) => ticks.map((v) => `${v}${unit}`), size: 60 }],
        series: [
          {},
          ...keys.map((k, i) => {
            const s = history.series.get(k)!;
            return {
              label: s.label,
              stroke: PALETTE[i % PALETTE.length]!,
              width: 1.5,
              spanGaps: false,
              ...(s.dashed ? { dash: [5, 4] } : {}),
              value: (_u: uPlot, v: number | null) => (v === null ? '-' : `${Number(v.toFixed(1))}${unit}`),
            };
          }),
        ],
      },
      data,
      this.box,
    );
    this.plot.root.setAttribute('aria-label', this.title);
  }
}
