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
