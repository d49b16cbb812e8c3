-- Workers kept from a task type of a job after failing it too often (Flamenco's job
-- blocklist). An entry goes with its job and with its worker.

CREATE TABLE job_blocklist (
    seq INTEGER PRIMARY KEY,
    job_uuid TEXT NOT NULL REFERENCES jobs (uuid) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    worker_uuid TEXT NOT NULL REFERENCES workers (uuid) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    task_type TEXT NOT NULL,
    UNIQUE (job_uuid, worker_uuid, task_type)
);
