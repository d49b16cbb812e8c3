// The page's addresses. The server answers each of them with the same page, so a deep link
// survives a reload; this module turns the address into a route and back.

const VIEWS = ['workers', 'tags', 'last-rendered'];

/** `/jobs/<id>/tasks/<id>` → `{view: 'jobs', jobId, taskId}`; unknown addresses → `not-found`. */
export function parseRoute(pathname) {
  let parts;
  try {
    parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return { view: 'not-found' };
  }
  if (parts.length === 0) return { view: 'jobs' };
  if (parts[0] === 'jobs') {
    if (parts.length === 1) return { view: 'jobs' };
    if (parts.length === 2) return { view: 'jobs', jobId: parts[1] };
    if (parts.length === 4 && parts[2] === 'tasks') return { view: 'jobs', jobId: parts[1], taskId: parts[3] };
  }
  if (parts.length === 1 && VIEWS.includes(parts[0])) return { view: parts[0] };
  return { view: 'not-found' };
}

export function jobPath(jobId) {
  return `/jobs/${encodeURIComponent(jobId)}`;
}

export function taskPath(jobId, taskId) {
  return `${jobPath(jobId)}/tasks/${encodeURIComponent(taskId)}`;
}
