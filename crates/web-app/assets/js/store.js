// What the page knows, and what changed since the last frame. Updates from the socket and
// answers from the REST API both land here; views read it and redraw only what changed.

/** The most log lines a task-log panel keeps; older ones are dropped. */
export const MAX_LOG_LINES = 1000;

function freshChanges() {
  return {
    jobs: new Set(), jobsReset: false, job: false,
    tasks: new Set(), tasksReset: false,
    workers: new Set(), workersReset: false,
    tags: new Set(), tagsReset: false,
    log: false, image: false, anyImage: false, farm: false, connection: false,
  };
}

const SNAPSHOT_EVENTS = { jobs: '/jobs', tasks: '/task', workers: '/workers', tags: '/workertags', log: '/tasklog' };

export class Store {
  constructor() {
    this.jobs = new Map();
    this.jobsLoaded = false;
    this.openJobId = null;
    this.job = null; // the open job, in full (GET /api/v3/jobs/{id}), kept current by /jobs
    this.tasks = new Map(); // the open job's tasks
    this.openTaskId = null;
    this.log = { lines: [], dropped: 0, partial: false, url: null };
    this.image = null; // the open job's last-rendered image info
    this.anyImage = null; // the newest image of any job: {job_id, thumbnail}
    this.imageVersion = 0;
    this.workers = new Map();
    this.tags = new Map();
    this.farmStatus = 'unknown';
    this.connection = 'connecting';
    this.lifecycle = null;
    this.changes = freshChanges();
    this.refreshTasks = false;
    // Updates received while a REST answer is on its way, replayed over that answer.
    this.journal = null;
    this.fetches = 0;
    this.replaying = false;
  }

  /** Hands the views what changed, and starts a new list. */
  takeChanges() {
    const changes = this.changes;
    this.changes = freshChanges();
    return changes;
  }

  apply(event, payload) {
    if (this.journal && !this.replaying) this.journal.push({ event, payload });
    switch (event) {
      case '/jobs': return this.jobUpdate(payload);
      case '/task': return this.taskUpdate(payload);
      case '/tasklog': return this.logChunk(payload);
      case '/last-rendered': return this.lastRendered(payload);
      case '/workers': return this.workerUpdate(payload);
      case '/workertags': return this.tagUpdate(payload);
      case '/status':
        this.farmStatus = payload.status;
        this.changes.farm = true;
        return undefined;
      case '/lifecycle':
        this.lifecycle = payload.type;
        this.changes.connection = true;
        return undefined;
      default: return undefined;
    }
  }

  jobUpdate(update) {
    const { previous_status: _p, refresh_tasks: refresh, was_deleted: deleted, ...fields } = update;
    this.changes.jobs.add(update.id);
    if (deleted) {
      this.jobs.delete(update.id);
    } else {
      this.jobs.set(update.id, { ...this.jobs.get(update.id), ...fields });
    }
    if (update.id === this.openJobId) {
      this.job = deleted ? { ...this.job, id: update.id, deleted: true } : { ...this.job, ...fields };
      this.changes.job = true;
      if (refresh) this.refreshTasks = true;
    }
  }

  taskUpdate(update) {
    if (update.job_id !== this.openJobId) return;
    const { previous_status: _p, ...fields } = update;
    this.tasks.set(update.id, { ...this.tasks.get(update.id), ...fields });
    this.changes.tasks.add(update.id);
    this.changes.jobs.add(update.job_id); // its progress
    if (update.id === this.openTaskId) this.changes.log = true;
  }

  logChunk({ task_id: taskId, log }) {
    if (taskId !== this.openTaskId || !log) return;
    this.appendLog(log);
  }

  appendLog(text) {
    const lines = text.split('\n');
    const endsComplete = text.endsWith('\n');
    if (endsComplete) lines.pop();
    const log = this.log;
    if (log.partial && log.lines.length && lines.length) log.lines[log.lines.length - 1] += lines.shift();
    log.lines.push(...lines);
    log.partial = !endsComplete;
    if (log.lines.length > MAX_LOG_LINES) {
      const extra = log.lines.length - MAX_LOG_LINES;
      log.lines.splice(0, extra);
      log.dropped += extra;
    }
    this.changes.log = true;
  }

  lastRendered({ job_id: jobId, thumbnail }) {
    this.imageVersion += 1;
    this.anyImage = { job_id: jobId, thumbnail, version: this.imageVersion };
    this.changes.anyImage = true;
    if (jobId === this.openJobId) {
      this.image = { ...thumbnail, version: this.imageVersion };
      this.changes.image = true;
    }
  }

  workerUpdate(update) {
    const { previous_status: _p, ...fields } = update;
    if (update.deleted_at) this.workers.delete(update.id);
    else this.workers.set(update.id, { ...this.workers.get(update.id), ...fields });
    this.changes.workers.add(update.id);
  }

  tagUpdate({ tag, was_deleted: deleted }) {
    if (deleted) this.tags.delete(tag.id);
    else this.tags.set(tag.id, tag);
    this.changes.tags.add(tag.id);
  }

  /** Opens a job (or none): its details, tasks and image start empty until fetched. */
  openJob(jobId) {
    if (jobId === this.openJobId) return;
    if (this.openJobId) this.changes.jobs.add(this.openJobId); // its progress, no longer known
    this.openJobId = jobId;
    this.job = null;
    this.tasks = new Map();
    this.image = null;
    this.changes.job = true;
    this.changes.tasksReset = true;
    this.changes.image = true;
  }

  openTask(taskId) {
    if (taskId === this.openTaskId) return;
    this.openTaskId = taskId;
    this.log = { lines: [], dropped: 0, partial: false, url: null };
    this.changes.log = true;
  }

  /**
   * Fetches over REST with the updates that arrive meanwhile kept aside, then `apply(answer)`
   * and replays those updates of `kind` on top, so an answer older than an update never
   * overwrites it; `skip(answer, message)` leaves out updates the answer has already.
   * Resolves with whatever `apply` returns; rejects as `fetcher` does.
   */
  async snapshot(kind, fetcher, apply, skip = () => false) {
    if (!this.journal) this.journal = [];
    const from = this.journal.length;
    this.fetches += 1;
    try {
      const answer = await fetcher();
      const since = this.journal.slice(from).filter((m) => m.event === SNAPSHOT_EVENTS[kind] && !skip(answer, m));
      const result = apply(answer);
      this.replaying = true;
      try {
        for (const m of since) this.apply(m.event, m.payload);
      } finally {
        this.replaying = false;
      }
      return result;
    } finally {
      this.fetches -= 1;
      if (this.fetches === 0) this.journal = null;
    }
  }

  setJobs(list) {
    this.jobs = new Map(list.map((job) => [job.id, job]));
    this.jobsLoaded = true;
    this.changes.jobsReset = true;
  }

  setTasks(jobId, list) {
    if (jobId !== this.openJobId) return;
    this.tasks = new Map(list.map((t) => [t.id, t]));
    this.changes.tasksReset = true;
    this.changes.jobs.add(jobId); // its progress
    this.changes.log = true;
  }

  setWorkers(list) {
    this.workers = new Map(list.map((w) => [w.id, w]));
    this.changes.workersReset = true;
  }

  setTags(list) {
    this.tags = new Map(list.map((t) => [t.id, t]));
    this.changes.tagsReset = true;
  }

  /** A fetched log tail; chunks that arrived meanwhile are replayed on top unless the tail has them. */
  setLogTail(taskId, tail) {
    if (taskId !== this.openTaskId) return;
    this.log = { ...this.log, lines: [], dropped: 0, partial: false };
    if (tail) this.appendLog(tail);
    this.changes.log = true;
  }
}
