//! Export schedules: when a cron or rate schedule comes due, and which slot a run stands for.
//!
//! Pure maths: the caller passes `now` and the stored `next_run`; nothing here reads a clock.
//!
//! # Rules
//!
//! **Expressions.** A 5-field cron expression (`minute hour day-of-month month day-of-week`, names such as
//! `MON` and `JAN` allowed, day-of-month and day-of-week OR-ed as in Vixie cron) or an EventBridge rate
//! (`rate(1 minute)`, `rate(15 minutes)`, `rate(1 hour)`, `rate(2 days)`). Seconds and years (6 or 7 fields)
//! are refused: the scheduler ticks once a minute.
//!
//! **Time zones.** A cron expression is read on the wall clock of its IANA zone. A rate ignores the zone: its
//! slots are `anchor + k·period` (k ≥ 0) in absolute time, the anchor truncated to the whole minute, so a
//! `rate(1 day)` stays 24 hours apart across a DST change.
//!
//! **Daylight saving** (cron only), the OCPS rules `croner` implements:
//! - a *fixed-time* schedule (a single minute and a single hour, e.g. `30 2 * * *`) whose wall-clock time is
//!   skipped by a spring-forward gap runs once, at the first real instant after the gap (02:30 on the day
//!   Berlin jumps from 02:00 to 03:00 runs at 03:00 CEST); a wall-clock time repeated by a fall-back fold
//!   runs once, at its first occurrence;
//! - an *interval* schedule (a `*`, step, range or list in the minute or hour, e.g. `*/15 * * * *`) follows
//!   the clock as it really runs: times inside a gap do not exist and are skipped, times inside a fold run on
//!   both passes, so the schedule keeps its cadence in elapsed time.
//!
//! **Missed slots** ([`ParsedSchedule::due_slot`]): however many slots passed without a tick, a schedule is
//! due once, for the latest slot at or before `now`, and its new `next_run` is the first slot after `now`.

use chrono::{DateTime, DurationRound, SecondsFormat, TimeDelta, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use serde::{Deserialize, Serialize};

use crate::ValidationError;

pub const EXPRESSION_MAX_CHARS: usize = 200;
/// The longest rate period, in days.
pub const RATE_MAX_DAYS: i64 = 366;

const ACCEPTED: &str = "use a 5-field cron expression (minute hour day-of-month month day-of-week, \
     e.g. \"0 3 * * MON-FRI\") or a rate such as \"rate(15 minutes)\", \"rate(1 hour)\" or \"rate(2 days)\"";
const RATE_SHAPE: &str = "a rate is \"rate(<whole number> <unit>)\" with the unit minute(s), hour(s) or day(s), \
     e.g. \"rate(1 hour)\" or \"rate(15 minutes)\"";

/// What a schedule's expression says: cron fields or a fixed rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cadence {
    Cron(CronExpression),
    Rate(Rate),
}

/// A parsed 5-field cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpression {
    source: String,
    // Boxed: a parsed pattern is some 300 bytes, a rate 8.
    cron: Box<croner::Cron>,
}

/// `rate(<value> <unit>)`: at least one minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    value: u32,
    unit: RateUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    Minute,
    Hour,
    Day,
}

/// A schedule as the user writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    pub expression: String,
    /// An IANA zone name (`Europe/Berlin`, `UTC`); cron fields are read on its wall clock.
    pub time_zone: String,
}

/// A validated schedule that can compute its slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSchedule {
    cadence: Cadence,
    zone: Tz,
    anchor: DateTime<Utc>,
}

/// A schedule that is due: one run for `slot`, then wait for `next_run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// The slot this run stands for (part of the job's idempotency key, see [`slot_key`]).
    pub slot: DateTime<Utc>,
    /// The first slot strictly after `now`: store it as the schedule's next run.
    pub next_run: DateTime<Utc>,
}

fn invalid_expression(message: impl Into<String>) -> ValidationError {
    ValidationError::new("expression", message)
}

impl Cadence {
    pub fn parse(expression: &str) -> Result<Self, ValidationError> {
        let expression = expression.trim();
        if expression.is_empty() {
            return Err(invalid_expression(format!("must not be empty: {ACCEPTED}")));
        }
        if expression.chars().count() > EXPRESSION_MAX_CHARS {
            return Err(invalid_expression(format!(
                "must be at most {EXPRESSION_MAX_CHARS} characters: {ACCEPTED}"
            )));
        }
        let is_rate = expression
            .get(..4)
            .is_some_and(|head| head.eq_ignore_ascii_case("rate"));
        if is_rate {
            Rate::parse(expression).map(Cadence::Rate)
        } else {
            CronExpression::parse(expression).map(Cadence::Cron)
        }
    }
}

impl CronExpression {
    fn parse(expression: &str) -> Result<Self, ValidationError> {
        match expression.split_whitespace().count() {
            5 => {}
            6 | 7 => {
                return Err(invalid_expression(
                    "6- and 7-field cron expressions (with seconds or years) are not accepted: schedules tick \
                     once a minute, so use 5 fields: minute hour day-of-month month day-of-week",
                ));
            }
            n => return Err(invalid_expression(format!("has {n} field(s): {ACCEPTED}"))),
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build();
        let cron = parser
            .parse(expression)
            .map_err(|e| invalid_expression(format!("is not a valid cron expression ({e}): {ACCEPTED}")))?;
        Ok(Self {
            source: expression.to_owned(),
            cron: Box::new(cron),
        })
    }

    /// The expression as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl Rate {
    fn parse(expression: &str) -> Result<Self, ValidationError> {
        let inner = expression
            .get(4..)
            .and_then(|rest| rest.trim_start().strip_prefix('('))
            .and_then(|rest| rest.strip_suffix(')'))
            .ok_or_else(|| invalid_expression(RATE_SHAPE))?;
        let mut parts = inner.split_whitespace();
        let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid_expression(RATE_SHAPE));
        };
        let too_long = || {
            invalid_expression(format!(
                "a rate can be at most {RATE_MAX_DAYS} days: for longer cadences use a cron expression"
            ))
        };
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) || value.bytes().all(|b| b == b'0') {
            return Err(invalid_expression(format!(
                "the rate's value must be a whole number of at least 1: {RATE_SHAPE}"
            )));
        }
        let value: u32 = value.parse().map_err(|_| too_long())?;
        let unit_lower = unit.to_ascii_lowercase();
        let (unit, plural) = match unit_lower.as_str() {
            "minute" => (RateUnit::Minute, false),
            "minutes" => (RateUnit::Minute, true),
            "hour" => (RateUnit::Hour, false),
            "hours" => (RateUnit::Hour, true),
            "day" => (RateUnit::Day, false),
            "days" => (RateUnit::Day, true),
            "second" | "seconds" => {
                return Err(invalid_expression(
                    "the shortest rate is \"rate(1 minute)\": schedules tick once a minute",
                ));
            }
            _ => return Err(invalid_expression(RATE_SHAPE)),
        };
        let singular = unit_lower.trim_end_matches('s');
        match (value == 1, plural) {
            (true, true) => Err(invalid_expression(format!(
                "use the singular for 1: \"rate(1 {singular})\""
            ))),
            (false, false) => Err(invalid_expression(format!(
                "use the plural above 1: \"rate({value} {singular}s)\""
            ))),
            _ => Ok(Self { value, unit }),
        }
        .and_then(|rate| {
            if rate.period() > TimeDelta::days(RATE_MAX_DAYS) {
                Err(too_long())
            } else {
                Ok(rate)
            }
        })
    }

    pub fn value(&self) -> u32 {
        self.value
    }

    pub fn unit(&self) -> RateUnit {
        self.unit
    }

    /// The time between two slots.
    pub fn period(&self) -> TimeDelta {
        let minutes = match self.unit {
            RateUnit::Minute => 1,
            RateUnit::Hour => 60,
            RateUnit::Day => 24 * 60,
        };
        TimeDelta::minutes(i64::from(self.value) * minutes)
    }

    /// The `k` of the last slot `anchor + k·period` at or before `at`, if `at` is not before the anchor.
    fn index_at_or_before(&self, anchor: DateTime<Utc>, at: DateTime<Utc>) -> Option<i32> {
        let elapsed = (at - anchor).num_seconds();
        (elapsed >= 0)
            .then(|| elapsed / self.period().num_seconds())
            .and_then(|k| i32::try_from(k).ok())
    }

    fn slot(&self, anchor: DateTime<Utc>, k: i32) -> Option<DateTime<Utc>> {
        anchor.checked_add_signed(self.period().checked_mul(k)?)
    }
}

impl ScheduleSpec {
    /// Validates the expression and the zone. `anchor` (typically the schedule's creation time) fixes where a
    /// rate's slots fall; it is truncated to the minute. A cron expression ignores it.
    pub fn parse(&self, anchor: DateTime<Utc>) -> Result<ParsedSchedule, ValidationError> {
        let cadence = Cadence::parse(&self.expression)?;
        let zone: Tz = self.time_zone.trim().parse().map_err(|_| {
            ValidationError::new(
                "time_zone",
                "is not an IANA time zone name: use one such as \"Europe/Berlin\", \"America/New_York\", \
                 \"Asia/Kolkata\" or \"UTC\" (names are case-sensitive)",
            )
        })?;
        let anchor = anchor.duration_trunc(TimeDelta::minutes(1)).unwrap_or(anchor);
        let schedule = ParsedSchedule { cadence, zone, anchor };
        if schedule.next_after(anchor).is_none() {
            return Err(invalid_expression(
                "never comes due: check that the date exists (there is no 30 February)",
            ));
        }
        Ok(schedule)
    }
}

impl ParsedSchedule {
    pub fn cadence(&self) -> &Cadence {
        &self.cadence
    }

    /// The IANA name of the schedule's zone.
    pub fn time_zone(&self) -> &'static str {
        self.zone.name()
    }

    /// Where a rate's slots start (the anchor passed to [`ScheduleSpec::parse`], truncated to the minute).
    pub fn anchor(&self) -> DateTime<Utc> {
        self.anchor
    }

    /// The first slot strictly after `after`, with daylight saving handled as the module documents.
    /// `None` only when no slot follows (past the year 5000, or beyond what a date can hold).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.cadence {
            Cadence::Cron(expression) => expression
                .cron
                .find_next_occurrence(&after.with_timezone(&self.zone), false)
                .ok()
                .map(|slot| slot.with_timezone(&Utc)),
            Cadence::Rate(rate) => match rate.index_at_or_before(self.anchor, after) {
                None if after < self.anchor => Some(self.anchor),
                None => None,
                Some(k) => rate.slot(self.anchor, k.checked_add(1)?),
            },
        }
    }

    /// The latest slot at or before `at`, when the backward search finds one.
    fn at_or_before(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.cadence {
            Cadence::Cron(expression) => expression
                .cron
                .find_previous_occurrence(&at.with_timezone(&self.zone), true)
                .ok()
                .map(|slot| slot.with_timezone(&Utc)),
            Cadence::Rate(rate) => rate.slot(self.anchor, rate.index_at_or_before(self.anchor, at)?),
        }
    }

    /// Whether the schedule is due at `now`, given the `next_run` stored for it.
    ///
    /// Missed-slot policy: when `now >= next_run`, exactly one run is due, for the latest slot at or before
    /// `now` (never earlier than `next_run`), however many slots went by without a tick; the new `next_run` is
    /// the first slot strictly after `now`. Before `next_run` it is not due (`None`). The answer depends only
    /// on the arguments, so ticks that overlap or repeat compute the same [`Due`] and the same [`slot_key`].
    pub fn due_slot(&self, next_run: DateTime<Utc>, now: DateTime<Utc>) -> Option<Due> {
        if now < next_run {
            return None;
        }
        let mut slot = next_run;
        // Take the backward search's answer only if the forward rules also produce it (folds and gaps).
        if let Some(latest) = self.at_or_before(now).filter(|latest| *latest > next_run)
            && latest
                .checked_sub_signed(TimeDelta::seconds(1))
                .and_then(|just_before| self.next_after(just_before))
                == Some(latest)
        {
            slot = latest;
        }
        // Should the backward search have stopped short, walk forward to the latest slot.
        while let Some(later) = self.next_after(slot).filter(|later| *later <= now) {
            slot = later;
        }
        let next_run = self.next_after(now)?;
        Some(Due { slot, next_run })
    }
}

/// The idempotency key of one schedule slot: `{schedule_id}@{slot in RFC 3339, UTC, whole seconds}`.
pub fn slot_key(schedule_id: &str, slot: DateTime<Utc>) -> String {
    format!("{schedule_id}@{}", slot.to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
    }

    fn schedule(expression: &str, time_zone: &str) -> ParsedSchedule {
        let spec = ScheduleSpec {
            expression: expression.into(),
            time_zone: time_zone.into(),
        };
        spec.parse(utc("2024-01-01T10:07:42.5Z")).unwrap()
    }

    fn due_at(slot: &str, next_run: &str) -> Option<Due> {
        Some(Due {
            slot: utc(slot),
            next_run: utc(next_run),
        })
    }

    #[test]
    fn cron_and_rate_expressions_in_the_documented_forms_are_accepted() {
        for (expression, is_rate) in [
            ("*/15 * * * *", false),
            ("0 3 * * 1-5", false),
            ("0 3 * * MON-FRI", false),
            ("0 3 * * mon-fri", false),
            ("0 0 1 JAN,JUL *", false),
            ("  30 2 * * *  ", false),
            ("0 0 29 2 *", false),
            ("rate(1 minute)", true),
            ("rate(15 minutes)", true),
            ("rate(1 hour)", true),
            ("rate(2 hours)", true),
            ("rate(1 day)", true),
            (" rate(2 days) ", true),
            ("RATE(366 Days)", true),
        ] {
            let parsed = schedule(expression, "UTC");
            assert_eq!(matches!(parsed.cadence(), Cadence::Rate(_)), is_rate, "{expression:?}");
        }
    }

    #[test]
    fn bad_expressions_are_refused_on_the_expression_field_saying_what_is_accepted() {
        for (expression, hint) in [
            ("", "5-field cron"),
            ("hello", "5-field cron"),
            ("* * * *", "5-field cron"),
            ("@daily", "5-field cron"),
            ("* * * * * *", "tick once a minute"),
            ("0 0 3 * * * 2030", "tick once a minute"),
            ("61 * * * *", "not a valid cron"),
            ("0 25 * * *", "not a valid cron"),
            ("0 3 * * FUNDAY", "not a valid cron"),
            ("0 0 30 2 *", "never comes due"),
            ("rate(0 minutes)", "at least 1"),
            ("rate(-5 minutes)", "at least 1"),
            ("rate(+5 minutes)", "at least 1"),
            ("rate(1.5 hours)", "at least 1"),
            ("rate(1 minutes)", "\"rate(1 minute)\""),
            ("rate(5 minute)", "\"rate(5 minutes)\""),
            ("rate(2 day)", "\"rate(2 days)\""),
            ("rate(30 seconds)", "shortest rate"),
            ("rate(2 weeks)", "minute(s), hour(s) or day(s)"),
            ("rate(367 days)", "at most 366 days"),
            ("rate(8785 hours)", "at most 366 days"),
            ("rate(4294967295 days)", "at most 366 days"),
            ("rate(4294967296 days)", "at most 366 days"),
            ("rate(15minutes)", "minute(s), hour(s) or day(s)"),
            ("rate(15 minutes", "minute(s), hour(s) or day(s)"),
            ("rate 15 minutes", "minute(s), hour(s) or day(s)"),
        ] {
            let spec = ScheduleSpec {
                expression: expression.into(),
                time_zone: "UTC".into(),
            };
            let err = spec.parse(utc("2024-01-01T00:00:00Z")).unwrap_err();
            assert_eq!(err.field, "expression", "{expression:?}");
            assert!(err.message.contains(hint), "{expression:?}: {}", err.message);
        }
        let long = format!("0 3 * * {}", "1,".repeat(100));
        assert!(Cadence::parse(&long).unwrap_err().message.contains("at most 200"));
    }

    #[test]
    fn unknown_time_zones_are_refused_on_the_time_zone_field() {
        for zone in ["Mars/Olympus", "", "europe/berlin", "CEST", "+05:30", "GMT+5:30"] {
            let spec = ScheduleSpec {
                expression: "0 9 * * *".into(),
                time_zone: zone.into(),
            };
            let err = spec.parse(utc("2024-01-01T00:00:00Z")).unwrap_err();
            assert_eq!(err.field, "time_zone", "{zone:?}");
            assert!(err.message.contains("Europe/Berlin"), "{zone:?}");
        }
        assert_eq!(schedule("0 9 * * *", " Asia/Kolkata ").time_zone(), "Asia/Kolkata");
    }

    #[test]
    fn a_schedule_is_due_from_its_next_run_until_the_slot_after() {
        let every_5 = schedule("*/5 * * * *", "UTC");
        let next_run = utc("2024-05-01T12:05:00Z");
        for (now, expected) in [
            ("2024-05-01T12:04:59.999Z", None),
            (
                "2024-05-01T12:05:00Z",
                due_at("2024-05-01T12:05:00Z", "2024-05-01T12:10:00Z"),
            ),
            (
                "2024-05-01T12:05:30Z",
                due_at("2024-05-01T12:05:00Z", "2024-05-01T12:10:00Z"),
            ),
            (
                "2024-05-01T12:09:59Z",
                due_at("2024-05-01T12:05:00Z", "2024-05-01T12:10:00Z"),
            ),
            (
                "2024-05-01T12:10:00Z",
                due_at("2024-05-01T12:10:00Z", "2024-05-01T12:15:00Z"),
            ),
        ] {
            assert_eq!(every_5.due_slot(next_run, utc(now)), expected, "now {now}");
        }
    }

    #[test]
    fn an_hour_without_ticks_yields_one_catch_up_run_for_the_latest_slot() {
        let every_5 = schedule("*/5 * * * *", "UTC");
        let due = every_5.due_slot(utc("2024-05-01T12:05:00Z"), utc("2024-05-01T13:07:30Z"));
        assert_eq!(due, due_at("2024-05-01T13:05:00Z", "2024-05-01T13:10:00Z"));
        let next_run = due.unwrap().next_run;
        assert_eq!(every_5.due_slot(next_run, utc("2024-05-01T13:08:00Z")), None);
    }

    #[test]
    fn a_tick_delivered_twice_enqueues_under_the_same_slot_key() {
        let nightly = schedule("0 3 * * *", "UTC");
        let (next_run, now) = (utc("2024-05-02T03:00:00Z"), utc("2024-05-02T03:00:07Z"));
        let first = nightly.due_slot(next_run, now).unwrap();
        let again = nightly.due_slot(next_run, now).unwrap();
        assert_eq!(slot_key("sch-1", first.slot), slot_key("sch-1", again.slot));
        assert_eq!(slot_key("sch-1", first.slot), "sch-1@2024-05-02T03:00:00Z");
    }

    #[test]
    fn overlapping_ticks_in_the_same_slot_compute_the_same_due() {
        let every_5 = schedule("*/5 * * * *", "Europe/Berlin");
        let next_run = utc("2024-05-01T12:05:00Z");
        let early = every_5.due_slot(next_run, utc("2024-05-01T12:05:00.200Z"));
        let late = every_5.due_slot(next_run, utc("2024-05-01T12:06:59.900Z"));
        assert_eq!(early, late);
        assert_eq!(early, due_at("2024-05-01T12:05:00Z", "2024-05-01T12:10:00Z"));
    }

    #[test]
    fn slot_keys_are_utc_rfc3339_to_the_whole_second() {
        for (slot, key) in [
            ("2024-03-31T03:00:00+02:00", "s@2024-03-31T01:00:00Z"),
            ("2024-03-31T01:00:00.999Z", "s@2024-03-31T01:00:00Z"),
        ] {
            assert_eq!(slot_key("s", utc(slot)), key);
        }
    }

    #[test]
    fn a_daily_0230_schedule_runs_once_across_dst_changes() {
        for (zone, after, expected) in [
            // Berlin springs from 02:00 CET to 03:00 CEST: 02:30 runs at 03:00 CEST, then 02:30 CEST again.
            ("Europe/Berlin", "2024-03-30T01:30:00Z", "2024-03-31T01:00:00Z"),
            ("Europe/Berlin", "2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"),
            // Berlin falls from 03:00 CEST to 02:00 CET: 02:30 happens twice and runs on the first only.
            ("Europe/Berlin", "2024-10-26T00:30:00Z", "2024-10-27T00:30:00Z"),
            ("Europe/Berlin", "2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"),
            // New York springs from 02:00 EST to 03:00 EDT: 02:30 runs at 03:00 EDT.
            ("America/New_York", "2024-03-09T07:30:00Z", "2024-03-10T07:00:00Z"),
            ("America/New_York", "2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z"),
            // New York falls from 02:00 EDT to 01:00 EST: 02:30 is not repeated, it comes 25 hours later.
            ("America/New_York", "2024-11-02T06:30:00Z", "2024-11-03T07:30:00Z"),
        ] {
            let daily = schedule("30 2 * * *", zone);
            assert_eq!(
                daily.next_after(utc(after)),
                Some(utc(expected)),
                "{zone} after {after}"
            );
        }
        // New York's repeated hour is 01:00-02:00: a daily 01:30 runs at 01:30 EDT only.
        let at_0130 = schedule("30 1 * * *", "America/New_York");
        assert_eq!(
            at_0130.next_after(utc("2024-11-02T05:30:00Z")),
            Some(utc("2024-11-03T05:30:00Z"))
        );
        assert_eq!(
            at_0130.next_after(utc("2024-11-03T05:30:00Z")),
            Some(utc("2024-11-04T06:30:00Z"))
        );
    }

    #[test]
    fn catching_up_across_dst_changes_picks_only_slots_the_forward_rules_produce() {
        let daily = schedule("30 2 * * *", "Europe/Berlin");
        let due = daily.due_slot(utc("2024-10-27T00:30:00Z"), utc("2024-10-27T02:00:00Z"));
        assert_eq!(due, due_at("2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"));
        for (next_run, now, expected) in [
            (
                "2024-03-30T01:30:00Z",
                "2024-03-31T05:00:00Z",
                due_at("2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"),
            ),
            (
                "2024-03-31T01:00:00Z",
                "2024-04-01T00:45:00Z",
                due_at("2024-04-01T00:30:00Z", "2024-04-02T00:30:00Z"),
            ),
        ] {
            assert_eq!(daily.due_slot(utc(next_run), utc(now)), expected, "{next_run} at {now}");
        }
        let half_hourly = schedule("*/30 * * * *", "Europe/Berlin");
        let in_fold = half_hourly.due_slot(utc("2024-10-27T00:00:00Z"), utc("2024-10-27T01:45:00Z"));
        assert_eq!(in_fold, due_at("2024-10-27T01:30:00Z", "2024-10-27T02:00:00Z"));
        let in_gap = daily.due_slot(utc("2024-03-31T01:00:00Z"), utc("2024-03-31T01:00:30Z"));
        assert_eq!(in_gap, due_at("2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"));
    }

    #[test]
    fn an_interval_schedule_keeps_its_cadence_through_gaps_and_folds() {
        let half_hourly = schedule("*/30 * * * *", "Europe/Berlin");
        let walk = |from: &str, steps: usize| {
            let mut at = utc(from);
            (0..steps)
                .map(|_| {
                    at = half_hourly.next_after(at).unwrap();
                    at.to_rfc3339_opts(SecondsFormat::Secs, true)
                })
                .collect::<Vec<_>>()
        };
        // 02:00 CEST, 02:30 CEST, 02:00 CET, 02:30 CET, 03:00 CET: every 30 minutes of real time.
        assert_eq!(
            walk("2024-10-26T23:45:00Z", 5),
            [
                "2024-10-27T00:00:00Z",
                "2024-10-27T00:30:00Z",
                "2024-10-27T01:00:00Z",
                "2024-10-27T01:30:00Z",
                "2024-10-27T02:00:00Z"
            ]
        );
        // 01:30 CET, then 03:00 CEST: 02:00 and 02:30 do not exist that night.
        assert_eq!(
            walk("2024-03-31T00:15:00Z", 2),
            ["2024-03-31T00:30:00Z", "2024-03-31T01:00:00Z"]
        );
    }

    #[test]
    fn a_kolkata_schedule_at_0900_runs_at_0330_utc() {
        let morning = schedule("0 9 * * *", "Asia/Kolkata");
        for (after, expected) in [
            ("2024-06-01T00:00:00Z", "2024-06-01T03:30:00Z"),
            ("2024-06-01T03:30:00Z", "2024-06-02T03:30:00Z"),
            ("2024-06-01T03:29:59.5Z", "2024-06-01T03:30:00Z"),
        ] {
            assert_eq!(morning.next_after(utc(after)), Some(utc(expected)), "after {after}");
        }
    }

    #[test]
    fn weekday_names_select_weekdays() {
        let workdays = schedule("0 3 * * MON-FRI", "UTC");
        // Friday 2024-05-03 03:00 → Monday 2024-05-06 03:00.
        assert_eq!(
            workdays.next_after(utc("2024-05-03T03:00:00Z")),
            Some(utc("2024-05-06T03:00:00Z"))
        );
    }

    #[test]
    fn rate_slots_are_anchored_on_the_anchor_minute() {
        // The anchor 10:07:42.5 is truncated to 10:07.
        let quarter_hourly = schedule("rate(15 minutes)", "UTC");
        assert_eq!(quarter_hourly.anchor(), utc("2024-01-01T10:07:00Z"));
        for (after, expected) in [
            ("2023-12-31T00:00:00Z", "2024-01-01T10:07:00Z"),
            ("2024-01-01T10:07:00Z", "2024-01-01T10:22:00Z"),
            ("2024-01-01T10:21:59.9Z", "2024-01-01T10:22:00Z"),
            ("2024-01-01T10:22:00Z", "2024-01-01T10:37:00Z"),
            ("2024-01-05T13:00:00Z", "2024-01-05T13:07:00Z"),
        ] {
            assert_eq!(
                quarter_hourly.next_after(utc(after)),
                Some(utc(expected)),
                "after {after}"
            );
        }
        let due = quarter_hourly.due_slot(utc("2024-01-01T10:22:00Z"), utc("2024-01-01T11:00:00Z"));
        assert_eq!(due, due_at("2024-01-01T10:52:00Z", "2024-01-01T11:07:00Z"));
    }

    #[test]
    fn a_daily_rate_stays_24_hours_apart_across_dst() {
        let daily = ScheduleSpec {
            expression: "rate(1 day)".into(),
            time_zone: "Europe/Berlin".into(),
        }
        .parse(utc("2024-03-30T12:00:00Z"))
        .unwrap();
        assert_eq!(
            daily.next_after(utc("2024-03-30T12:00:00Z")),
            Some(utc("2024-03-31T12:00:00Z"))
        );
        assert_eq!(
            daily.next_after(utc("2024-04-01T11:59:00Z")),
            Some(utc("2024-04-01T12:00:00Z"))
        );
    }
}
