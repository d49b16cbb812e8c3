-- The manager's state. UUIDs, statuses and timestamps are text (RFC 3339, UTC); lists
-- and free-form objects are JSON text. `seq` keeps the order things were first stored.
-- Foreign keys are checked at commit, so a job and its tasks may be stored in any order
-- within one transaction.

CREATE TABLE worker_tags (
    seq INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT
);

CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    job_type TEXT NOT NULL,
    type_etag TEXT,
    priority INTEGER NOT NULL,
    settings TEXT NOT NULL,
    metadata TEXT NOT NULL,
    submitter_platform TEXT NOT NULL,
    storage TEXT,
    worker_tag TEXT REFERENCES worker_tags (uuid) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    status TEXT NOT NULL,
    activity TEXT NOT NULL,
    delete_requested_at TEXT
);
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    job_uuid TEXT NOT NULL REFERENCES jobs (uuid) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL,
    task_type TEXT NOT NULL,
    activity TEXT NOT NULL,
    commands TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    -- The worker it is assigned to, as the task knows it (id, name, address); no foreign
    -- key: a task keeps naming a worker that was deleted.
    worker TEXT,
    worker_uuid TEXT,
    last_touched TEXT,
    failed_by_workers TEXT NOT NULL,
    depends_on TEXT NOT NULL
);
CREATE INDEX tasks_job ON tasks (job_uuid, seq);
CREATE INDEX tasks_worker ON tasks (worker_uuid);

CREATE TABLE workers (
    seq INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    secret TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    platform TEXT NOT NULL,
    software TEXT NOT NULL,
    supported_task_types TEXT NOT NULL,
    status TEXT NOT NULL,
    status_change TEXT,
    can_restart INTEGER NOT NULL,
    tags TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    last_seen TEXT
);

-- The newest image of each job; the image itself is a file under the storage path.
CREATE TABLE last_rendered (
    job_uuid TEXT PRIMARY KEY REFERENCES jobs (uuid) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    task_uuid TEXT NOT NULL,
    content_type TEXT NOT NULL,
    received TEXT NOT NULL
);
