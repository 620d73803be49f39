// What the user sees while a file imports: a bar on a terminal (cli-progress), a plain line every
// 5 s otherwise (a log, CI), and a summary per file at the end. The time left is estimated from
// the bytes read over the file's size: rows have no known total until the file is read.
import cliProgress from 'cli-progress';

export interface Snapshot {
  file: string;
  /** Rows done in all (across runs when resumed), and rejected among them. */
  rows: number;
  rejected: number;
  /** Rows done in this run, over its seconds: the speed. */
  runRows: number;
  seconds: number;
  bytesRead: number;
  /** Bytes already read when this run started sending (a resumed run reads past rows done). */
  bytesAtStart: number;
  size: number;
}

export const rowsPerSecond = (s: Pick<Snapshot, 'runRows' | 'seconds'>) => (s.seconds > 0 ? Math.round(s.runRows / s.seconds) : 0);

const share = (s: Snapshot) => (s.size > 0 ? Math.min(1, s.bytesRead / s.size) : 1);

/** Seconds left, from this run's bytes per second; null before there is anything to go by. */
export function secondsLeft(s: Snapshot): number | null {
  const read = s.bytesRead - s.bytesAtStart;
  if (read <= 0 || s.seconds < 0.5) return null;
  return Math.max(0, (s.size - s.bytesRead) / (read / s.seconds));
}

const duration = (seconds: number | null) => {
  if (seconds === null) return '?';
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
};

/** orders.csv: 120000 rows, 19850 rows/s, 3 rejected, 41% (est. 12 s left) */
export const progressLine = (s: Snapshot) =>
  `${s.file}: ${s.rows} rows, ${rowsPerSecond(s)} rows/s, ${s.rejected} rejected, ${Math.floor(share(s) * 100)}% (est. ${duration(secondsLeft(s))} left)`;

export interface Progress {
  stop(): void;
}

/** Starts showing `snapshot()` on stderr until stop(). */
export function showProgress(snapshot: () => Snapshot, tty = Boolean(process.stderr.isTTY)): Progress {
  if (!tty) {
    const timer = setInterval(() => console.error(progressLine(snapshot())), 5000);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: '{file} [{bar}] {percentage}% | {rows} rows | {speed} rows/s | {rejected} rejected | {left} left',
      hideCursor: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (s: Snapshot) => ({ file: s.file, rows: s.rows, speed: rowsPerSecond(s), rejected: s.rejected, left: duration(secondsLeft(s)) });
  const first = snapshot();
  bar.start(Math.max(1, first.size), first.bytesRead, payload(first));
  const timer = setInterval(() => {
    const s = snapshot();
    bar.update(s.bytesRead, payload(s));
  }, 200);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      const s = snapshot();
      bar.update(s.bytesRead, payload(s));
      bar.stop();
    },
  };
}
