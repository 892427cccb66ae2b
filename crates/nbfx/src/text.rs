//! Typed text values (MC-NBFX §2.2.3) and their canonical XML text forms.

use std::fmt::{self, Write as _};

/// The content of a text record (MC-NBFX §2.2.3), kept typed so that a
/// decode/encode round trip preserves the record kind.
///
/// Several records share one variant: ZeroText, OneText, Int8/16/32/64Text
/// decode to [`TextValue::Int`]; FalseText, TrueText, BoolText to
/// [`TextValue::Bool`]; Chars8/16/32, UnicodeChars8/16/32, DictionaryText and
/// EmptyText to [`TextValue::Text`]. The encoder picks the smallest record.
///
/// [`Display`](fmt::Display) gives the XML character form (unescaped).
#[derive(Debug, Clone, PartialEq)]
pub enum TextValue {
    /// Character data (§2.2.3.13-15, §2.2.3.20, §2.2.3.21, §2.2.3.27-29).
    Text(String),
    /// `true` / `false` (§2.2.3.3, §2.2.3.4, §2.2.3.26).
    Bool(bool),
    /// A signed integer (§2.2.3.1, §2.2.3.2, §2.2.3.5-8).
    Int(i64),
    /// UInt64Text (§2.2.3.25).
    UInt64(u64),
    /// FloatText (§2.2.3.9).
    Float(f32),
    /// DoubleText (§2.2.3.10).
    Double(f64),
    /// DecimalText (§2.2.3.11).
    Decimal(Decimal),
    /// DateTimeText (§2.2.3.12).
    DateTime(DateTime),
    /// TimeSpanText (§2.2.3.23): a duration in 100 ns ticks, rendered as an
    /// `xsd:duration` (e.g. `PT1H`) like WCF's `XmlConvert`.
    TimeSpan(i64),
    /// UniqueIdText (§2.2.3.22): the 16 wire bytes, rendered `urn:uuid:…`.
    UniqueId([u8; 16]),
    /// UuidText (§2.2.3.24): the 16 wire bytes (GUID layout).
    Uuid([u8; 16]),
    /// Bytes8/16/32Text (§2.2.3.16-18), rendered in base64.
    Bytes(Vec<u8>),
    /// QNameDictionaryText (§2.2.3.30): `prefix` is a lowercase ASCII letter.
    QName {
        /// Single-letter prefix, `b'a'..=b'z'`.
        prefix: u8,
        /// The resolved local name.
        local_name: String,
    },
    /// StartListText … EndListText (§2.2.3.19); items are never lists.
    List(Vec<TextValue>),
}

impl TextValue {
    /// A string text value.
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    /// Upper bound of the XML character length, used for output accounting.
    pub(crate) fn approx_len(&self) -> usize {
        match self {
            Self::Text(s) => s.len(),
            Self::Bytes(b) => b.len().div_ceil(3) * 4,
            Self::QName { local_name, .. } => local_name.len() + 2,
            Self::List(items) => items.iter().map(|i| i.approx_len() + 1).sum(),
            _ => 48,
        }
    }
}

impl fmt::Display for TextValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(s) => f.write_str(s),
            Self::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Self::Int(v) => write!(f, "{v}"),
            Self::UInt64(v) => write!(f, "{v}"),
            Self::Float(v) => f.write_str(&format_float(f64::from(*v), *v as f64, true)),
            Self::Double(v) => f.write_str(&format_float(*v, *v, false)),
            Self::Decimal(d) => d.fmt(f),
            Self::DateTime(d) => d.fmt(f),
            Self::TimeSpan(t) => f.write_str(&format_duration(*t)),
            Self::UniqueId(b) => write!(f, "urn:uuid:{}", format_guid(b)),
            Self::Uuid(b) => f.write_str(&format_guid(b)),
            Self::Bytes(b) => f.write_str(&base64(b)),
            Self::QName { prefix, local_name } => {
                write!(f, "{}:{local_name}", char::from(*prefix))
            }
            Self::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(' ')?;
                    }
                    item.fmt(f)?;
                }
                Ok(())
            }
        }
    }
}

/// A DecimalText value (MC-NBFX §2.2.3.11): the 16-byte OLE Automation
/// DECIMAL ([MS-OAUT] §2.2.26): reserved u16, scale u8, sign u8, Hi32, Lo64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub [u8; 16]);

impl Decimal {
    /// Power-of-ten scale (0..=28).
    pub fn scale(&self) -> u8 {
        self.0[2]
    }

    /// Whether the sign byte is set (0x80).
    pub fn is_negative(&self) -> bool {
        self.0[3] & 0x80 != 0
    }

    /// The 96-bit unsigned mantissa.
    pub fn mantissa(&self) -> u128 {
        let hi = u32::from_le_bytes([self.0[4], self.0[5], self.0[6], self.0[7]]);
        let mut lo = [0u8; 8];
        lo.copy_from_slice(&self.0[8..16]);
        (u128::from(hi) << 64) | u128::from(u64::from_le_bytes(lo))
    }

    /// Whether the value is one .NET accepts (scale ≤ 28, sign 0 or 0x80).
    pub fn is_valid(&self) -> bool {
        self.scale() <= 28 && (self.0[3] == 0 || self.0[3] == 0x80)
    }
}

impl fmt::Display for Decimal {
    /// Like .NET `decimal.ToString(InvariantCulture)`: the scale is kept, so
    /// trailing fractional zeros are printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mantissa = self.mantissa();
        let digits = mantissa.to_string();
        let scale = usize::from(self.scale());
        if self.is_negative() && mantissa != 0 {
            f.write_char('-')?;
        }
        if scale == 0 {
            return f.write_str(&digits);
        }
        let padded = if digits.len() <= scale {
            format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{int}.{frac}")
    }
}

/// Ticks (100 ns) per day.
const TICKS_PER_DAY: u64 = 864_000_000_000;
/// Ticks (100 ns) per second.
const TICKS_PER_SECOND: u64 = 10_000_000;

/// A DateTimeText value (MC-NBFX §2.2.3.12): the raw 64-bit field, 62 bits of
/// ticks since 0001-01-01T00:00:00 and a 2-bit TZ kind in the top bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub u64);

impl DateTime {
    /// Exclusive upper bound of the tick count (year 10000).
    pub const MAX_TICKS: u64 = 3_155_378_976_000_000_000;

    /// Ticks (100 ns) since 0001-01-01T00:00:00.
    pub fn ticks(&self) -> u64 {
        self.0 & 0x3FFF_FFFF_FFFF_FFFF
    }

    /// TZ: 0 unspecified, 1 UTC, 2 local.
    pub fn kind(&self) -> u8 {
        (self.0 >> 62) as u8
    }

    /// Whether ticks and kind are in the ranges MC-NBFX §2.2.3.12 allows.
    pub fn is_valid(&self) -> bool {
        self.ticks() < Self::MAX_TICKS && self.kind() <= 2
    }
}

impl fmt::Display for DateTime {
    /// `yyyy-MM-ddTHH:mm:ss[.fffffff][Z|+00:00]`, as WCF writes it (the time
    /// part is always present, see the DateTimeTextWithEndElement example in
    /// MC-NBFX §3). TZ 2 (local) values carry UTC ticks on the wire
    /// (`DateTime.ToBinary`); being sans-I/O we decode in UTC and print the
    /// offset `+00:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ticks = self.ticks();
        let days = ticks / TICKS_PER_DAY;
        let rem = ticks % TICKS_PER_DAY;
        let (y, m, d) = civil_from_days(days as i64 - 719_162);
        let secs = rem / TICKS_PER_SECOND;
        let frac = rem % TICKS_PER_SECOND;
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if frac != 0 {
            let s = format!("{frac:07}");
            write!(f, ".{}", s.trim_end_matches('0'))?;
        }
        match self.kind() {
            1 => f.write_char('Z'),
            2 => f.write_str("+00:00"),
            _ => Ok(()),
        }
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A TimeSpan in ticks as an `xsd:duration`, the way .NET
/// `XmlConvert.ToString(TimeSpan)` writes it (`-PT5M44S`, `P1DT2H`, `PT0S`).
pub(crate) fn format_duration(ticks: i64) -> String {
    let mut out = String::new();
    if ticks < 0 {
        out.push('-');
    }
    let t = ticks.unsigned_abs();
    let days = t / TICKS_PER_DAY;
    let rem = t % TICKS_PER_DAY;
    let secs_total = rem / TICKS_PER_SECOND;
    let (h, m, s) = (secs_total / 3600, secs_total / 60 % 60, secs_total % 60);
    let frac = rem % TICKS_PER_SECOND;
    out.push('P');
    if days != 0 {
        let _ = write!(out, "{days}D");
    }
    if h != 0 || m != 0 || s != 0 || frac != 0 {
        out.push('T');
        if h != 0 {
            let _ = write!(out, "{h}H");
        }
        if m != 0 {
            let _ = write!(out, "{m}M");
        }
        if s != 0 || frac != 0 {
            let _ = write!(out, "{s}");
            if frac != 0 {
                let f = format!("{frac:07}");
                let _ = write!(out, ".{}", f.trim_end_matches('0'));
            }
            out.push('S');
        }
    }
    if out.ends_with('P') {
        out.push_str("T0S");
    }
    out
}

/// The GUID text form of 16 wire bytes (Data1..3 little-endian), lowercase.
pub(crate) fn format_guid(b: &[u8; 16]) -> String {
    let d1 = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let d2 = u16::from_le_bytes([b[4], b[5]]);
    let d3 = u16::from_le_bytes([b[6], b[7]]);
    let mut s = format!("{d1:08x}-{d2:04x}-{d3:04x}-{:02x}{:02x}-", b[8], b[9]);
    for x in &b[10..] {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// Standard base64 with padding (RFC 4648 §4).
pub(crate) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Formats a Float/Double value in the XML Schema lexical form WCF produces
/// (.NET "R" round-trip formatting): shortest round-trip digits, `E±XX`
/// exponent outside the general-format range, `INF`, `-INF`, `NaN`, `-0`.
///
/// `v` is the value widened to f64 for classification; `shortest` is the
/// value whose shortest digits are printed (f32 digits for floats).
fn format_float(v: f64, shortest: f64, is_single: bool) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "INF".into() } else { "-INF".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest round-trip digits in scientific form, e.g. "-1.2345e-7".
    let sci = if is_single {
        format!("{:e}", shortest as f32)
    } else {
        format!("{shortest:e}")
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let precision: usize = if is_single { 7 } else { 15 };
    let max_digits = digits.len().max(precision) as i32;
    // Position of the decimal point relative to the first digit.
    let dig_pos = exp + 1;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if dig_pos > max_digits || dig_pos < -3 {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "E{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    } else if dig_pos <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat(dig_pos.unsigned_abs() as usize));
        out.push_str(&digits);
    } else {
        let p = dig_pos as usize;
        if digits.len() <= p {
            out.push_str(&digits);
            out.push_str(&"0".repeat(p - digits.len()));
        } else {
            out.push_str(&digits[..p]);
            out.push('.');
            out.push_str(&digits[p..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        let d = |v: f64| TextValue::Double(v).to_string();
        let f = |v: f32| TextValue::Float(v).to_string();
        assert_eq!(f(1.1), "1.1");
        assert_eq!(f(32.45), "32.45");
        assert_eq!(d(std::f64::consts::PI), "3.141592653589793");
        assert_eq!(d(1e15), "1E+15");
        assert_eq!(d(123_456_789_012_345.0), "123456789012345");
        assert_eq!(d(0.0001), "0.0001");
        assert_eq!(d(0.00001), "1E-05");
        assert_eq!(d(-1.5e-300), "-1.5E-300");
        assert_eq!(d(f64::INFINITY), "INF");
        assert_eq!(d(f64::NEG_INFINITY), "-INF");
        assert_eq!(d(f64::NAN), "NaN");
        assert_eq!(d(-0.0), "-0");
        assert_eq!(d(100.0), "100");
        assert_eq!(f(1e7), "1E+07");
        assert_eq!(f(1_234_567.0), "1234567");
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(36_000_000_000), "PT1H");
        assert_eq!(format_duration(6_000_000_000), "PT10M");
        assert_eq!(format_duration(0), "PT0S");
        assert_eq!(format_duration(-3_440_000_000), "-PT5M44S");
        assert_eq!(
            format_duration(TICKS_PER_DAY as i64 + 15_000_000),
            "P1DT1.5S"
        );
        assert_eq!(format_duration(1), "PT0.0000001S");
        assert_eq!(format_duration(i64::MIN), "-P10675199DT2H48M5.4775808S");
    }

    #[test]
    fn base64_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
        assert_eq!(base64(&[0xFF]), "/w==");
    }

    #[test]
    fn dates() {
        assert_eq!(DateTime(0).to_string(), "0001-01-01T00:00:00");
        assert_eq!(
            DateTime((DateTime::MAX_TICKS - 1) | (1 << 62)).to_string(),
            "9999-12-31T23:59:59.9999999Z"
        );
        // 2000-03-01 = 730179 days after 0001-01-01
        assert_eq!(
            DateTime(730_179 * TICKS_PER_DAY + 5_000_000).to_string(),
            "2000-03-01T00:00:00.5"
        );
    }

    #[test]
    fn decimals() {
        let mut raw = [0u8; 16];
        raw[2] = 2;
        raw[3] = 0x80;
        raw[8] = 5;
        assert_eq!(Decimal(raw).to_string(), "-0.05");
        raw[3] = 0;
        raw[8] = 100;
        assert_eq!(Decimal(raw).to_string(), "1.00");
    }
}
