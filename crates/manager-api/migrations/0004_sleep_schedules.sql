-- Each worker's sleep schedule (`WorkerSleepSchedule` plus when the scheduler next looks
-- at it), as JSON; NULL when it has none.

ALTER TABLE workers ADD COLUMN sleep_schedule TEXT;
