//! Evidence records (证据): a file attached to a finding, a visit or a checklist item, what its
//! EXIF says, and the flags the office must see. The bytes live in content-addressed storage
//! (`mingcha-evidence`); here is their identity.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ValidationError;
use crate::id::{EvidenceId, FindingId, ResponseId, VisitId};

/// A SHA-256 digest as 64 lowercase hex characters: the identity of an original file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Hex(String);

impl Sha256Hex {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim().to_ascii_lowercase();
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s))
        } else {
            Err(ValidationError::Malformed { field: "sha256", value: s, what: "SHA-256 digest (64 hex characters)" })
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sha256Hex {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Sha256Hex> for String {
    fn from(h: Sha256Hex) -> Self {
        h.0
    }
}

/// What a piece of evidence belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvidenceTarget {
    Finding {
        finding_id: FindingId,
    },
    /// A photo of the visit as a whole (the hall on arrival, the duty roster).
    Visit {
        visit_id: VisitId,
    },
    ChecklistItem {
        response_id: ResponseId,
        item_code: String,
    },
}

/// One evidence file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Evidence {
    pub id: EvidenceId,
    pub target: EvidenceTarget,
    pub sha256: Sha256Hex,
    pub size: u64,
    pub media_type: String,
    /// The file name as it came off the camera or phone.
    pub original_name: String,
    pub imported_at: DateTime<Utc>,
}

/// Where a photo was taken, from EXIF GPS, in degrees (WGS 84) and metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Gps {
    pub lat: f64,
    pub lon: f64,
    pub alt: Option<f64>,
}

/// What a photo says about itself (EXIF), read once at import.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PhotoMeta {
    /// DateTimeOriginal: the local time on the camera's clock.
    pub taken_at: Option<NaiveDateTime>,
    /// OffsetTimeOriginal as the camera wrote it (`+08:00`), when it wrote one.
    pub taken_offset: Option<String>,
    pub gps: Option<Gps>,
    pub make: Option<String>,
    pub model: Option<String>,
    /// EXIF orientation 1–8; previews are turned upright by it.
    pub orientation: Option<u8>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// Something about a piece of evidence the office must see before relying on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum EvidenceFlag {
    /// A photo with no capture time: it cannot show when it was taken.
    NoCaptureTime,
    /// Taken on another day than the visit: perhaps an old gallery picture passed off as new.
    TakenOutsideVisitDay { taken_on: NaiveDate, visit_on: NaiveDate },
    /// The file could not be decoded (truncated, corrupt); it is kept as it came.
    Damaged { reason: String },
}

impl EvidenceFlag {
    pub fn label_zh(&self) -> String {
        match self {
            Self::NoCaptureTime => "无拍摄时间".into(),
            Self::TakenOutsideVisitDay { taken_on, .. } => format!("拍摄日期{taken_on}非检查当日"),
            Self::Damaged { .. } => "文件损坏".into(),
        }
    }
}

/// The flags of one piece of evidence. Only photos are expected to carry a capture time;
/// a PDF or a voice memo without one is not suspicious.
pub fn flags(
    media_type: &str,
    meta: &PhotoMeta,
    damaged: Option<&str>,
    visit_on: Option<NaiveDate>,
) -> Vec<EvidenceFlag> {
    let mut out = Vec::new();
    if let Some(reason) = damaged {
        out.push(EvidenceFlag::Damaged { reason: reason.to_owned() });
    }
    if media_type.starts_with("image/") {
        match (meta.taken_at, visit_on) {
            (None, _) => out.push(EvidenceFlag::NoCaptureTime),
            (Some(t), Some(v)) if t.date() != v => {
                out.push(EvidenceFlag::TakenOutsideVisitDay { taken_on: t.date(), visit_on: v })
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_gallery_picture_and_a_photo_without_time_are_flagged() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        let at = |d: u32| PhotoMeta {
            taken_at: NaiveDate::from_ymd_opt(2026, 11, d).unwrap().and_hms_opt(9, 30, 0),
            ..Default::default()
        };
        assert!(flags("image/jpeg", &at(10), None, Some(day)).is_empty());
        assert_eq!(
            flags("image/jpeg", &at(3), None, Some(day)),
            [EvidenceFlag::TakenOutsideVisitDay {
                taken_on: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
                visit_on: day
            }]
        );
        assert_eq!(flags("image/png", &PhotoMeta::default(), None, Some(day)), [EvidenceFlag::NoCaptureTime]);
        assert!(flags("application/pdf", &PhotoMeta::default(), None, Some(day)).is_empty());
        let damaged = flags("image/jpeg", &at(10), Some("truncated"), Some(day));
        assert_eq!(damaged[0].label_zh(), "文件损坏");
    }

    #[test]
    fn digests_are_normalised_and_checked() {
        let upper = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        assert_eq!(Sha256Hex::parse(upper).unwrap().as_str(), upper.to_ascii_lowercase());
        assert!(Sha256Hex::parse("abc").is_err());
        assert!(Sha256Hex::parse(&"g".repeat(64)).is_err());
    }
}
