use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// What a rotation notice says: which secret has a new AWSCURRENT, which version it replaced,
/// which rotator did it, and when. Ids and names only, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationNotice {
    /// The secret's ARN.
    pub secret_arn: String,
    /// The version that is AWSCURRENT now.
    pub version_id: String,
    /// The version that was AWSCURRENT before (now AWSPREVIOUS), if any.
    pub previous_version_id: Option<String>,
    /// [`Rotator::name`](crate::Rotator::name).
    pub rotator: &'static str,
    /// When finishSecret completed, RFC 3339 in UTC.
    pub rotated_at: String,
}

impl RotationNotice {
    /// The event's `detail`: `secretArn`, `versionId`, `previousVersionId` (null when none),
    /// `rotator` and `rotatedAt`.
    pub fn detail(&self) -> Value {
        json!({
            "secretArn": self.secret_arn,
            "versionId": self.version_id,
            "previousVersionId": self.previous_version_id,
            "rotator": self.rotator,
            "rotatedAt": self.rotated_at,
        })
    }
}

/// `time` as RFC 3339 in UTC with whole seconds, e.g. `2026-12-01T14:32:44Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap_day = UNIX_EPOCH + Duration::from_secs(1_709_210_096);
        assert_eq!(rfc3339(leap_day), "2024-02-29T12:34:56Z");
        let new_year = UNIX_EPOCH + Duration::from_secs(1_767_225_599);
        assert_eq!(rfc3339(new_year), "2025-12-31T23:59:59Z");
    }

    #[test]
    fn the_detail_names_versions_and_rotator_and_null_when_there_is_no_previous_version() {
        let notice = RotationNotice {
            secret_arn: "arn:aws:secretsmanager:eu-west-1:1:secret:app".into(),
            version_id: "v2".into(),
            previous_version_id: None,
            rotator: "HmacKeyRotator",
            rotated_at: "2026-12-01T14:32:44Z".into(),
        };
        assert_eq!(
            notice.detail(),
            json!({
                "secretArn": "arn:aws:secretsmanager:eu-west-1:1:secret:app",
                "versionId": "v2",
                "previousVersionId": null,
                "rotator": "HmacKeyRotator",
                "rotatedAt": "2026-12-01T14:32:44Z",
            })
        );
    }
}
