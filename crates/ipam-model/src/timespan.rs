//! .NET `TimeSpan`, the value behind `ser:duration` ([MS-IPAMM2] §2.2.5.87).
//!
//! A TimeSpan is a signed count of 100 ns ticks. Its lexical form is the restricted
//! `xsd:duration` of the schema, `-?P(nD)?(T(nH)?(nM)?(n(.n)?S)?)?`, written the way
//! .NET's `XmlConvert.ToString(TimeSpan)` writes it (`PT1H`, `P1DT2H`, `PT0S`).

use std::fmt;
use std::str::FromStr;

/// Ticks per second (one tick is 100 ns).
pub const TICKS_PER_SECOND: i64 = 10_000_000;
const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// A .NET TimeSpan: signed 100 ns ticks over the full `i64` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimeSpan(pub i64);

impl TimeSpan {
    /// `TimeSpan.Zero`.
    pub const ZERO: TimeSpan = TimeSpan(0);
    /// `TimeSpan.MinValue`, `-P10675199DT2H48M5.4775808S`.
    pub const MIN: TimeSpan = TimeSpan(i64::MIN);
    /// `TimeSpan.MaxValue`, `P10675199DT2H48M5.4775807S`.
    pub const MAX: TimeSpan = TimeSpan(i64::MAX);

    /// The tick count.
    pub const fn ticks(self) -> i64 {
        self.0
    }
    /// A span of whole seconds, saturating at the TimeSpan range.
    pub const fn from_secs(secs: i64) -> Self {
        TimeSpan(secs.saturating_mul(TICKS_PER_SECOND))
    }
}

/// Why a text is not a `ser:duration`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The text does not match the `ser:duration` pattern.
    #[error("'{0}' is not a duration of the form [-]P[nD][T[nH][nM][n[.n]S]]")]
    Syntax(String),
    /// The value lies outside the .NET TimeSpan range.
    #[error(
        "'{0}' is outside the TimeSpan range -P10675199DT2H48M5.4775808S .. P10675199DT2H48M5.4775807S"
    )]
    OutOfRange(String),
}

impl fmt::Display for TimeSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        // Work in u64 magnitude so i64::MIN has a representation.
        let mut rest = self.0.unsigned_abs();
        let days = rest / TICKS_PER_DAY as u64;
        rest %= TICKS_PER_DAY as u64;
        let hours = rest / TICKS_PER_HOUR as u64;
        rest %= TICKS_PER_HOUR as u64;
        let minutes = rest / TICKS_PER_MINUTE as u64;
        rest %= TICKS_PER_MINUTE as u64;
        let seconds = rest / TICKS_PER_SECOND as u64;
        let fraction = rest % TICKS_PER_SECOND as u64;

        if neg {
            f.write_str("-")?;
        }
        f.write_str("P")?;
        if days != 0 {
            write!(f, "{days}D")?;
        }
        if hours != 0 || minutes != 0 || seconds != 0 || fraction != 0 {
            f.write_str("T")?;
            if hours != 0 {
                write!(f, "{hours}H")?;
            }
            if minutes != 0 {
                write!(f, "{minutes}M")?;
            }
            if seconds != 0 || fraction != 0 {
                write!(f, "{seconds}")?;
                if fraction != 0 {
                    let digits = format!("{fraction:07}");
                    write!(f, ".{}", digits.trim_end_matches('0'))?;
                }
                f.write_str("S")?;
            }
        } else if days == 0 {
            f.write_str("T0S")?;
        }
        Ok(())
    }
}

impl FromStr for TimeSpan {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || DurationError::Syntax(text.chars().take(64).collect());
        let s = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
        let (neg, s) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let s = s.strip_prefix('P').ok_or_else(syntax)?;
        let (date, time) = match s.split_once('T') {
            Some((d, t)) => (d, Some(t)),
            None => (s, None),
        };
        let mut total: i128 = 0;
        let mut any = false;
        if !date.is_empty() {
            let n = date.strip_suffix('D').ok_or_else(syntax)?;
            total += parse_digits(n).ok_or_else(syntax)? * TICKS_PER_DAY as i128;
            any = true;
        }
        if let Some(mut t) = time {
            if t.is_empty() {
                return Err(syntax());
            }
            for (unit, ticks) in [('H', TICKS_PER_HOUR), ('M', TICKS_PER_MINUTE)] {
                if let Some(pos) = t.find(unit) {
                    let n = &t[..pos];
                    if n.contains('.') {
                        return Err(syntax());
                    }
                    total += parse_digits(n).ok_or_else(syntax)? * ticks as i128;
                    t = &t[pos + 1..];
                    any = true;
                }
            }
            if !t.is_empty() {
                let n = t.strip_suffix('S').ok_or_else(syntax)?;
                let (whole, frac) = match n.split_once('.') {
                    Some((w, f)) => (w, Some(f)),
                    None => (n, None),
                };
                if whole.is_empty() && frac.is_none_or(str::is_empty) {
                    return Err(syntax());
                }
                let whole_v = if whole.is_empty() {
                    0
                } else {
                    parse_digits(whole).ok_or_else(syntax)?
                };
                total += whole_v * TICKS_PER_SECOND as i128;
                if let Some(f) = frac {
                    if !f.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(syntax());
                    }
                    // Seven digits are ticks; further digits are below tick precision and truncated.
                    let mut ticks: i128 = 0;
                    for (i, b) in f.bytes().take(7).enumerate() {
                        ticks += (b - b'0') as i128 * 10i128.pow(6 - i as u32);
                    }
                    total += ticks;
                }
                any = true;
            }
        }
        if !any {
            return Err(syntax());
        }
        let signed = if neg { -total } else { total };
        i64::try_from(signed)
            .map(TimeSpan)
            .map_err(|_| DurationError::OutOfRange(text.chars().take(64).collect()))
    }
}

/// Decimal digits to a number; `None` if empty, not digits, or absurdly long.
fn parse_digits(s: &str) -> Option<i128> {
    if s.is_empty() || s.len() > 30 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl serde::Serialize for TimeSpan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for TimeSpan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_like_xmlconvert() {
        assert_eq!(TimeSpan::ZERO.to_string(), "PT0S");
        assert_eq!(TimeSpan::from_secs(3600).to_string(), "PT1H");
        assert_eq!(TimeSpan::from_secs(26 * 3600).to_string(), "P1DT2H");
        assert_eq!(TimeSpan::from_secs(86400).to_string(), "P1D");
        assert_eq!(TimeSpan(5_000_000).to_string(), "PT0.5S");
        assert_eq!(TimeSpan(-TICKS_PER_MINUTE).to_string(), "-PT1M");
        assert_eq!(TimeSpan::MIN.to_string(), "-P10675199DT2H48M5.4775808S");
        assert_eq!(TimeSpan::MAX.to_string(), "P10675199DT2H48M5.4775807S");
    }

    #[test]
    fn parses_schema_examples_and_extremes() {
        assert_eq!(
            "PT1H".parse::<TimeSpan>().unwrap(),
            TimeSpan::from_secs(3600)
        );
        assert_eq!(
            "P1DT2H".parse::<TimeSpan>().unwrap(),
            TimeSpan::from_secs(93600)
        );
        assert_eq!("PT0S".parse::<TimeSpan>().unwrap(), TimeSpan::ZERO);
        assert_eq!(
            "PT36H".parse::<TimeSpan>().unwrap(),
            TimeSpan::from_secs(36 * 3600)
        );
        assert_eq!("PT.5S".parse::<TimeSpan>().unwrap(), TimeSpan(5_000_000));
        assert_eq!(
            "-P10675199DT2H48M5.4775808S".parse::<TimeSpan>().unwrap(),
            TimeSpan::MIN
        );
        assert_eq!(
            "P10675199DT2H48M5.4775807S".parse::<TimeSpan>().unwrap(),
            TimeSpan::MAX
        );
        assert_eq!(
            "PT0.12345678S".parse::<TimeSpan>().unwrap(),
            TimeSpan(1_234_567)
        );
    }

    #[test]
    fn rejects_malformed_and_out_of_range() {
        for bad in [
            "", "P", "PT", "1H", "PT1", "P1Y", "PT1.5H", "PTS", "PT.S", "P-1D", "PT1H2H", "P1DT",
            "x",
        ] {
            assert!(
                matches!(bad.parse::<TimeSpan>(), Err(DurationError::Syntax(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            "P10675199DT2H48M5.4775808S".parse::<TimeSpan>(),
            Err(DurationError::OutOfRange(_))
        ));
        assert!(matches!(
            "P99999999999999999999D".parse::<TimeSpan>(),
            Err(DurationError::OutOfRange(_))
        ));
    }

    proptest! {
        #[test]
        fn round_trips_over_the_full_range(t in any::<i64>()) {
            let ts = TimeSpan(t);
            prop_assert_eq!(ts.to_string().parse::<TimeSpan>().unwrap(), ts);
        }

        #[test]
        fn never_panics_on_text(s in "\\PC{0,40}") {
            let _ = s.parse::<TimeSpan>();
        }
    }
}
