//! Value types shared by several entities: geographic locations and IANA time-zone names.

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

use super::error::ValidationError;

/// A point on the earth, WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Latitude in degrees, −90..=90.
    pub lat: f64,
    /// Longitude in degrees, −180..=180.
    pub lon: f64,
}

impl Location {
    /// Builds a location from latitude and longitude in degrees.
    pub fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Great-circle (haversine) distance in kilometres.
    ///
    /// ```
    /// use fieldwork::model::Location;
    /// let berlin = Location::new(52.52, 13.405);
    /// let hamburg = Location::new(53.551, 9.994);
    /// let km = berlin.distance_km(&hamburg);
    /// assert!((km - 255.0).abs() < 5.0);
    /// ```
    pub fn distance_km(&self, other: &Location) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0088;
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon - self.lon).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }

    /// Checks the coordinates are finite and in range.
    pub fn check(&self) -> Result<(), ValidationError> {
        if !(self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat)) {
            return Err(ValidationError::InvalidValue(format!(
                "latitude {} outside -90..=90",
                self.lat
            )));
        }
        if !(self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon)) {
            return Err(ValidationError::InvalidValue(format!(
                "longitude {} outside -180..=180",
                self.lon
            )));
        }
        Ok(())
    }
}

/// An IANA time-zone name as written in a dataset, with its parsed zone when the name is known.
///
/// Unknown names deserialise without error so that model validation can report every problem
/// at once; [`TimeZoneName::tz`] then returns [`ValidationError::UnknownTimeZone`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName {
    name: String,
    tz: Option<Tz>,
}

impl TimeZoneName {
    /// Wraps a zone name such as `"Europe/Berlin"`.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let tz = name.parse::<Tz>().ok();
        Self { name, tz }
    }

    /// The zone, or an error when the name is not in the time-zone database.
    pub fn tz(&self) -> Result<Tz, ValidationError> {
        self.tz
            .ok_or_else(|| ValidationError::UnknownTimeZone(self.name.clone()))
    }

    /// The name as written.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl From<Tz> for TimeZoneName {
    fn from(tz: Tz) -> Self {
        Self {
            name: tz.name().to_owned(),
            tz: Some(tz),
        }
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Serialize for TimeZoneName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for TimeZoneName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(TimeZoneName::new)
    }
}

/// serde helper: skip a boolean field that holds its default `true`.
pub(crate) fn is_true(value: &bool) -> bool {
    *value
}
