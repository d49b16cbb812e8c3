-- Flamenco 3.9's progress fields: each task's position in its job and its steps (the
-- frames a render task renders, 1 for other tasks), and each job's sum of its tasks'.
-- Tasks stored before this have one step, done when they completed.

ALTER TABLE tasks ADD COLUMN index_in_job INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN steps_completed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN steps_total INTEGER NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN steps_completed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN steps_total INTEGER NOT NULL DEFAULT 0;

UPDATE tasks SET index_in_job =
    (SELECT COUNT(*) FROM tasks AS earlier WHERE earlier.job_uuid = tasks.job_uuid AND earlier.seq <= tasks.seq);
UPDATE tasks SET steps_completed = steps_total WHERE status = 'completed';
UPDATE jobs SET
    steps_completed = (SELECT COALESCE(SUM(steps_completed), 0) FROM tasks WHERE tasks.job_uuid = jobs.uuid),
    steps_total = (SELECT COALESCE(SUM(steps_total), 0) FROM tasks WHERE tasks.job_uuid = jobs.uuid);
