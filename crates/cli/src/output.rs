//! Where the CLI writes: results to stdout, diagnostics to stderr. A closed pipe (`rotor … |
//! head`) is not an error worth reporting, so write failures are ignored.

use std::fmt::Display;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The two output streams.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Output;

impl Output {
    /// One line of results.
    pub(crate) fn line(self, text: impl Display) {
        let _ignored = writeln!(std::io::stdout().lock(), "{text}");
    }

    /// One line of diagnostics.
    pub(crate) fn note(self, text: impl Display) {
        let _ignored = writeln!(std::io::stderr().lock(), "{text}");
    }
}

/// How a command ended, as an exit code. clap uses 2 for usage errors; the CLI's help lists
/// them all ([`EXIT_CODES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Everything worked.
    Success,
    /// The operation failed; the message says why.
    Failure,
    /// `status` found AWSPENDING stuck.
    Stuck,
    /// AWS was chosen, and the credential chain found no credentials.
    NoCredentials,
    /// The AWS credentials have expired.
    ExpiredCredentials,
    /// Secrets Manager denied access.
    AccessDenied,
    /// No region is configured, or the secret's ARN is in another region.
    Region,
    /// Secrets Manager did not answer.
    Unreachable,
}

/// The exit codes, for the CLI's help and the README.
pub(crate) const EXIT_CODES: &str = "Exit codes:
  0  success
  1  the operation failed (the message says why)
  2  usage error
  3  status: a rotation is stuck in AWSPENDING
  4  no AWS credentials
  5  the AWS credentials have expired
  6  access denied by Secrets Manager
  7  no AWS region configured, or the secret's ARN is in another region
  8  Secrets Manager unreachable";

impl Exit {
    /// The process exit code.
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Stuck => 3,
            Self::NoCredentials => 4,
            Self::ExpiredCredentials => 5,
            Self::AccessDenied => 6,
            Self::Region => 7,
            Self::Unreachable => 8,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// A duration for people: `0.42 ms`, `12.3 ms`, `1.25 s`.
pub(crate) fn duration(took: Duration) -> String {
    let millis = took.as_secs_f64() * 1000.0;
    if millis < 10.0 {
        format!("{millis:.2} ms")
    } else if millis < 1000.0 {
        format!("{millis:.1} ms")
    } else {
        format!("{:.2} s", took.as_secs_f64())
    }
}

/// The first 8 characters of a version id: enough to tell versions apart in a timeline.
pub(crate) fn short(version_id: &str) -> &str {
    version_id.get(..8).unwrap_or(version_id)
}

/// A time as UTC RFC 3339 to the second, e.g. `2025-03-01T12:00:00Z`.
pub(crate) fn timestamp(time: SystemTime) -> String {
    let seconds = match time.duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    };
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_rfc3339() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_827_696);
        assert_eq!(timestamp(leap_day), "2000-02-29T12:34:56Z");
        let later = UNIX_EPOCH + Duration::from_secs(1_767_225_599);
        assert_eq!(timestamp(later), "2025-12-31T23:59:59Z");
    }

    #[test]
    fn the_help_lists_every_exit_code() {
        let all = [
            Exit::Success,
            Exit::Failure,
            Exit::Stuck,
            Exit::NoCredentials,
            Exit::ExpiredCredentials,
            Exit::AccessDenied,
            Exit::Region,
            Exit::Unreachable,
        ];
        for exit in all {
            let line = format!("\n  {}  ", exit.code());
            assert!(EXIT_CODES.contains(&line), "{exit:?} is not in the help");
        }
    }

    #[test]
    fn durations_and_short_ids_read_well() {
        assert_eq!(duration(Duration::from_micros(420)), "0.42 ms");
        assert_eq!(duration(Duration::from_millis(1250)), "1.25 s");
        assert_eq!(short("0123456789abcdef"), "01234567");
        assert_eq!(short("v1"), "v1");
    }
}
