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
mod tests;
