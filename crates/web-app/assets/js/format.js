// How values are shown: times, statuses, progress, and Flamenco's wording of the farm status.

/** Flamenco's explanation of each farm status, as its own web app words them. */
export const FARM_STATUS_WORDING = {
  active: 'Actively working on a job.',
  idle: 'Workers are awake and ready for work.',
  waiting: 'Work has been queued, but all workers are asleep.',
  asleep: 'All workers are asleep, and no work has been queued.',
  inoperative: 'Cannot work: there are no workers, or all are offline.',
  starting: 'Farm is starting up.',
  unknown: 'The farm status is not known.',
};

/** A timestamp as local time; the date too when it is not today. Empty for none. */
export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const now = new Date();
  const clock = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  if (d.toDateString() === now.toDateString()) return clock;
  return `${d.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' })} ${clock}`;
}

/** `done` of `total` as a whole percentage, or null when there is nothing to count. */
export function percent(done, total) {
  if (typeof done !== 'number' || typeof total !== 'number' || total <= 0) return null;
  return Math.max(0, Math.min(100, Math.floor((100 * done) / total)));
}

/** The CSS class for a status string (`cancel-requested` → `status-cancel-requested`). */
export function statusClass(status) {
  return `status status-${String(status || 'unknown').replace(/[^a-z-]/g, '')}`;
}
