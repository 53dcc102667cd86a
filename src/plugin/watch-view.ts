// The picture `kubectl actions watch` draws of a run, like `argo watch`: a header, a progress
// bar and one row per step with its state, duration, exit code and message.
import type { StepStatus, WorkflowRun } from '../apis/kubeactions/types.js';
import { formatDuration } from './duration.js';

/** How to draw: `now` for running durations; `tty` picks the block progress bar. */
export interface ViewOptions {
  now: number;
  tty: boolean;
}

const ICONS: Readonly<Record<string, string>> = {
  Pending: '◷',
  Running: '●',
  Succeeded: '✔',
  Failed: '✖',
  Skipped: '○',
  Cancelled: '⊘',
};

const BAR_WIDTH = 20;

/** A step counts as done once it is neither Pending nor Running. */
function isDone(step: StepStatus): boolean {
  return step.phase !== 'Pending' && step.phase !== 'Running';
}

/** `[#########-----------] 2/4` (blocks instead of `#`/`-` on a terminal). */
export function progressBar(done: number, total: number, tty: boolean): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  const [on, off] = tty ? ['█', '░'] : ['#', '-'];
  return `[${on.repeat(filled)}${off.repeat(BAR_WIDTH - filled)}] ${done}/${total}`;
}

function elapsed(start: string | undefined, end: string | undefined, now: number): string {
  if (!start) return '';
  return formatDuration((end ? Date.parse(end) : now) - Date.parse(start));
}

/** Left-aligned columns two spaces apart (kubectl's tabwriter), trailing spaces trimmed. */
function columns(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row) => row.map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - [...cell].length)).join('  ').trimEnd());
}

/** The steps of `run`: its status where the worker has written one, else Pending from the spec. */
function steps(run: WorkflowRun): StepStatus[] {
  const known = new Map((run.status?.steps ?? []).map((s) => [s.name, s]));
  return run.spec.steps.map((s) => known.get(s.name) ?? { name: s.name, phase: 'Pending' });
}

/** The lines that show `run` at `opts.now` (no trailing newline). */
export function renderRun(run: WorkflowRun, opts: ViewOptions): string[] {
  const st = run.status ?? {};
  const condition = st.conditions?.find((c) => c.type === 'Succeeded');
  const all = steps(run);
  const header: string[][] = [
    ['Name:', run.metadata.name],
    ['Namespace:', run.metadata.namespace],
    ['Phase:', st.phase ?? 'Pending'],
  ];
  if (condition?.message) header.push(['Message:', condition.message]);
  if (st.attempt) header.push(['Attempt:', String(st.attempt)]);
  if (st.startTime) header.push(['Started:', st.startTime], ['Duration:', elapsed(st.startTime, st.completionTime, opts.now)]);
  header.push(['Progress:', progressBar(all.filter(isDone).length, all.length, opts.tty)]);
  const table = [['STEP', 'PHASE', 'DURATION', 'EXIT', 'MESSAGE']];
  for (const s of all) {
    table.push([`${ICONS[s.phase] ?? '?'} ${s.name}`, s.phase, elapsed(s.startTime, s.completionTime, opts.now), s.exitCode === undefined ? '' : String(s.exitCode), s.message ?? '']);
  }
  return [...columns(header), '', ...columns(table)];
}
