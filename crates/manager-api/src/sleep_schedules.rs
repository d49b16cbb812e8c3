//! Sleep schedules, as Flamenco's sleep scheduler runs them: a worker with an active
//! schedule is asked (not lazily: a render may take hours) to go `asleep` when its sleep
//! time starts and `awake` when it ends, through the same `status_change` request a person
//! makes, broadcast as a worker update.
//!
//! A schedule is looked at when it is set, and then at its `next_check`: the next start,
//! end or midnight (so a person's request in between stands until the next boundary).
//! [`Manager::check_sleep_schedules`] does that for every worker whose check is due; the
//! manager binary calls it every minute. Workers in `error` or `offline` are left alone.
//! Times are the manager's local time ([`Clock`](crate::Clock)).

use broadcast_core::notify::{self, Notification};
use broadcast_core::{WorkerStatus, WorkerStatusChangeRequest};
use chrono::{Datelike, Duration, NaiveDateTime, NaiveTime};
use uuid::Uuid;

use crate::model::{SleepSchedule, Worker};
use crate::{Error, Manager, Storage, now};

const DAYS: [&str; 7] = ["mo", "tu", "we", "th", "fr", "sa", "su"];

/// `HH:MM` to a time of day; an empty text is `None` (the day's start or end).
fn time_of_day(text: &str, which: &str) -> Result<Option<NaiveTime>, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveTime::parse_from_str(text, "%H:%M")
        .map(Some)
        .map_err(|_| Error::invalid(format!("{which} {text:?} is not a time of day in 24-hour HH:MM")))
}

/// Checks `schedule` and puts it in its stored form: day names as two lower-case
/// letters, start before end (swapped when given the other way round, as Flamenco does).
fn clean(mut schedule: SleepSchedule) -> Result<SleepSchedule, Error> {
    let mut days = Vec::new();
    for name in schedule.days_of_week.split_whitespace() {
        let short: String = name.to_lowercase().chars().take(2).collect();
        if !DAYS.contains(&short.as_str()) {
            return Err(Error::invalid(format!(
                "days_of_week: {name:?} is not a day; write two-letter names like \"mo tu we\""
            )));
        }
        days.push(short);
    }
    schedule.days_of_week = days.join(" ");
    let start = time_of_day(&schedule.start_time, "start_time")?;
    let end = time_of_day(&schedule.end_time, "end_time")?;
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        std::mem::swap(&mut schedule.start_time, &mut schedule.end_time);
    }
    schedule.start_time = schedule.start_time.trim().to_owned();
    schedule.end_time = schedule.end_time.trim().to_owned();
    Ok(schedule)
}

/// The status `schedule` wants the worker in at local time `now`.
pub fn scheduled_status(schedule: &SleepSchedule, now: NaiveDateTime) -> WorkerStatus {
    let day = DAYS[now.weekday().num_days_from_monday() as usize];
    let today = schedule.days_of_week.is_empty() || schedule.days_of_week.split(' ').any(|d| d == day);
    // Stored schedules were checked by `clean`; a bad time counts as none.
    let start = time_of_day(&schedule.start_time, "").ok().flatten();
    let end = time_of_day(&schedule.end_time, "").ok().flatten();
    let before_start = start.is_some_and(|s| now.time() < s);
    let after_end = end.is_some_and(|e| now.time() >= e);
    if !schedule.is_active || !today || before_start || after_end {
        WorkerStatus::Awake
    } else {
        WorkerStatus::Asleep
    }
}

/// When to look at `schedule` next after `now`: the earliest of the next midnight and the
/// next start and end times.
pub fn next_check(schedule: &SleepSchedule, now: NaiveDateTime) -> NaiveDateTime {
    let midnight = (now.date() + Duration::days(1)).and_time(NaiveTime::MIN);
    let next = |time: NaiveTime| {
        let today = now.date().and_time(time);
        if today <= now { today + Duration::days(1) } else { today }
    };
    [&schedule.start_time, &schedule.end_time]
        .into_iter()
        .filter_map(|t| time_of_day(t, "").ok().flatten())
        .map(next)
        .fold(midnight, NaiveDateTime::min)
}

/// Asks `worker` for the status its schedule wants now, unless it is there already or
/// asked already; returns the worker update when it asked.
fn apply(
    storage: &dyn Storage,
    mut worker: Worker,
    now_local: NaiveDateTime,
) -> Result<Option<Notification>, Error> {
    let Some(schedule) = &worker.sleep_schedule else {
        return Ok(None);
    };
    if matches!(worker.status, WorkerStatus::Error | WorkerStatus::Offline) {
        return Ok(None);
    }
    let wanted = scheduled_status(schedule, now_local);
    let asked = worker.status_change.is_some_and(|c| c.status == wanted && !c.is_lazy);
    let there = worker.status == wanted && worker.status_change.is_none();
    if asked || there {
        return Ok(None);
    }
    tracing::info!(worker = %worker.id, from = ?worker.status, to = ?wanted, "sleep schedule: asking the worker to change status");
    worker.status_change = Some(WorkerStatusChangeRequest { status: wanted, is_lazy: false });
    worker.updated = now();
    storage.put_worker(worker.clone())?;
    Ok(Some(notify::worker_updated(worker.to_update(None))))
}

impl Manager {
    /// The worker's sleep schedule, if it has one.
    pub fn sleep_schedule(&self, worker_id: Uuid) -> Result<Option<SleepSchedule>, Error> {
        Ok(self.worker(worker_id)?.sleep_schedule)
    }

    /// Stores `schedule` as the worker's (see the module docs) and applies it at once:
    /// the worker may be asked to change status, with a worker update.
    pub async fn set_sleep_schedule(&self, worker_id: Uuid, schedule: SleepSchedule) -> Result<(), Error> {
        let schedule = clean(schedule)?;
        let local = self.options().clock.local_now();
        let (notification, _order) = self
            .change(|storage| {
                let mut worker = storage.worker(worker_id)?.ok_or(Error::worker_not_found(worker_id))?;
                let next_check = next_check(&schedule, local);
                worker.sleep_schedule = Some(SleepSchedule { next_check: Some(next_check), ..schedule });
                worker.updated = now();
                storage.put_worker(worker.clone())?;
                apply(storage, worker, local)
            })
            .await?;
        if let Some(notification) = notification {
            self.send(notification).await;
        }
        Ok(())
    }

    /// Applies every schedule whose check is due at the clock's time, and sets its next
    /// check. Returns how many workers were asked to change status.
    pub async fn check_sleep_schedules(&self) -> Result<usize, Error> {
        let local = self.options().clock.local_now();
        let (notifications, _order) = self
            .change(|storage| {
                let mut notifications = Vec::new();
                for mut worker in storage.workers()? {
                    let Some(schedule) = worker.sleep_schedule.as_mut() else {
                        continue;
                    };
                    if schedule.next_check.is_some_and(|due| due > local) {
                        continue;
                    }
                    schedule.next_check = Some(next_check(schedule, local));
                    storage.put_worker(worker.clone())?;
                    notifications.extend(apply(storage, worker, local)?);
                }
                Ok(notifications)
            })
            .await?;
        let asked = notifications.len();
        self.send_all(notifications).await;
        Ok(asked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(days: &str, start: &str, end: &str) -> SleepSchedule {
        SleepSchedule {
            is_active: true,
            days_of_week: days.to_owned(),
            start_time: start.to_owned(),
            end_time: end.to_owned(),
            next_check: None,
        }
    }

    /// 2024-05-06 is a Monday.
    fn at(day: u32, hh_mm: &str) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2024, 5, day)
            .unwrap()
            .and_time(NaiveTime::parse_from_str(hh_mm, "%H:%M").unwrap())
    }

    fn check(s: &SleepSchedule, now: NaiveDateTime, expected: WorkerStatus) {
        assert_eq!(scheduled_status(s, now), expected, "{s:?} at {now}");
    }

    #[test]
    fn asleep_between_start_and_end_on_its_days() {
        let office = schedule("mo tu", "09:00", "18:00");
        check(&office, at(6, "08:59"), WorkerStatus::Awake);
        check(&office, at(6, "09:00"), WorkerStatus::Asleep);
        check(&office, at(7, "17:59"), WorkerStatus::Asleep);
        check(&office, at(7, "18:00"), WorkerStatus::Awake);
        check(&office, at(8, "12:00"), WorkerStatus::Awake);
        let every_day = schedule("", "", "06:00");
        check(&every_day, at(11, "00:00"), WorkerStatus::Asleep);
        check(&every_day, at(11, "06:00"), WorkerStatus::Awake);
        let inactive = SleepSchedule { is_active: false, ..office };
        check(&inactive, at(6, "12:00"), WorkerStatus::Awake);
    }

    #[test]
    fn the_next_check_is_the_next_start_end_or_midnight() {
        let office = schedule("mo", "09:00", "18:00");
        assert_eq!(next_check(&office, at(6, "08:00")), at(6, "09:00"));
        assert_eq!(next_check(&office, at(6, "09:00")), at(6, "18:00"));
        assert_eq!(next_check(&office, at(6, "18:00")), at(7, "00:00"));
        assert_eq!(next_check(&schedule("", "", ""), at(6, "13:00")), at(7, "00:00"));
    }

    #[test]
    fn schedules_are_checked_and_cleaned() {
        let cleaned = clean(schedule(" Monday  TU ", "18:00", "09:00")).unwrap();
        assert_eq!(
            (cleaned.days_of_week.as_str(), cleaned.start_time.as_str(), cleaned.end_time.as_str()),
            ("mo tu", "09:00", "18:00")
        );
        for (bad, why) in [
            (schedule("someday", "09:00", "18:00"), "is not a day"),
            (schedule("", "9am", "18:00"), "start_time \"9am\" is not a time of day"),
            (schedule("", "09:00", "25:00"), "end_time \"25:00\" is not a time of day"),
        ] {
            let Err(Error::Invalid(message)) = clean(bad) else { panic!("refused") };
            assert!(message.contains(why), "{message}");
        }
    }
}
