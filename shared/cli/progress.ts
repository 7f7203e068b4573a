/**
 * Job progress on stderr: a redrawn bar with percent, speed and ETA on a terminal; plain
 * lines (each phase, then at most every few seconds) otherwise, so logs stay readable.
 */
import type { JobProgress } from '../core/jobs/job';
import { formatBytes, formatDuration } from './format';

/** Where progress goes. */
export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Renders a job's progress reports. */
export class ProgressRenderer {
  private phase: string | undefined;
  private lastDraw = 0;
  private lastPlain = 0;
  private drawn = false;
  private samples: { at: number; done: number }[] = [];

  constructor(
    private readonly out: ProgressSink,
    private readonly now: () => number = Date.now,
    private readonly plainEveryMs = 5000,
  ) {}

  /** A plain line held back by the throttle: printed when its phase ends, so logs show where each phase got to. */
  private held: string | undefined;
  /** The last plain line written. */
  private lastLine: string | undefined;

  private amount(p: JobProgress, v: number): string {
    return p.unit === 'bytes' ? formatBytes(v) : String(v);
  }

  /** "216 of 612", "30 MB/30 MB", or without a total "12 MB" / "12 done". */
  private count(p: JobProgress, done: number, of: string): string {
    if (p.total !== undefined) return `${this.amount(p, done)}${of}${this.amount(p, p.total)}`;
    return p.unit === 'bytes' ? formatBytes(done) : `${done} done`;
  }

  /** Takes one progress report. */
  update(p: JobProgress): void {
    const t = this.now();
    const phaseChanged = p.phase !== this.phase;
    if (phaseChanged) {
      this.finishLine();
      if (this.held !== undefined) this.out.write(this.held);
      this.held = undefined;
      this.phase = p.phase;
      this.samples = [];
    }
    if (p.done !== undefined) {
      this.samples.push({ at: t, done: p.done });
      while (this.samples.length > 2 && t - this.samples[0]!.at > 5000) this.samples.shift();
    }
    const label = p.label ?? p.phase;
    const pct = p.done !== undefined && p.total ? Math.min(100, (p.done / p.total) * 100) : undefined;
    let rate: number | undefined;
    if (this.samples.length >= 2) {
      const a = this.samples[0]!;
      const b = this.samples[this.samples.length - 1]!;
      if (b.at > a.at) rate = ((b.done - a.done) * 1000) / (b.at - a.at);
    }
    const eta = rate && p.total !== undefined && p.done !== undefined && rate > 0 ? (p.total - p.done) / rate : undefined;
    if (this.out.isTTY) {
      if (!phaseChanged && t - this.lastDraw < 100 && !(p.total !== undefined && p.done === p.total)) return;
      this.lastDraw = t;
      // A terminal that reports no width (0, as under `script`) is taken as 80 columns.
      const columns = this.out.columns || 80;
      const width = Math.max(10, Math.min(30, columns - 60));
      let line = label;
      if (pct !== undefined) {
        const fill = Math.round((pct / 100) * width);
        line += ` [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${pct.toFixed(0).padStart(3)}%`;
      }
      if (p.done !== undefined) line += ` ${this.count(p, p.done, p.unit === 'bytes' ? '/' : ' of ')}`;
      if (rate && p.unit === 'bytes') line += ` ${formatBytes(rate)}/s`;
      if (eta !== undefined) line += ` ETA ${formatDuration(eta)}`;
      if (p.message) line += ` ${p.message}`;
      if (line === label) line += '…';
      this.out.write(`\r\x1b[K${line.slice(0, columns - 1)}`);
      this.drawn = true;
      return;
    }
    let figures = '';
    if (pct !== undefined) figures += ` ${pct.toFixed(0)}%`;
    if (p.done !== undefined) figures += ` (${this.count(p, p.done, ' of ')})`;
    if (rate && p.unit === 'bytes') figures += ` ${formatBytes(rate)}/s`;
    if (p.message) figures += ` ${p.message}`;
    // "Finishing…" for a phase without figures, not "Finishing:" followed by nothing.
    const line = figures ? `${label}:${figures}` : `${label}…`;
    if (!phaseChanged && t - this.lastPlain < this.plainEveryMs) {
      // Held back by the throttle; a line that says nothing new is not held.
      this.held = line + '\n' === this.lastLine ? undefined : line + '\n';
      return;
    }
    this.lastPlain = t;
    this.held = undefined;
    this.lastLine = line + '\n';
    this.out.write(this.lastLine);
  }

  /** At the job's end: ends a redrawn line, or prints the plain line the throttle held back. */
  end(): void {
    this.finishLine();
    if (this.held !== undefined) this.out.write(this.held);
    this.held = undefined;
  }

  /** Ends a redrawn line (before other output, and at the end). */
  finishLine(): void {
    if (this.drawn) {
      this.out.write('\n');
      this.drawn = false;
    }
  }
}
