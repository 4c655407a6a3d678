//! Typed conversion of hook return values.
//!
//! Hooks return [`Dynamic`] values; the host expects numbers, strings, maps… Each
//! conversion failure is a [`RuleError::WrongReturnType`] naming the hook, its file and,
//! inside maps and arrays, the path of the offending field (`weights.travel`).
//!
//! Numbers are lenient: wherever a number is expected an integer, a float or a decimal is
//! accepted (rule authors should not have to write `4.0`).

use rhai::{Array, Dynamic, Map};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

use super::error::{Location, RuleError};
use super::ruleset::RuleSet;

/// The answer of a hook returning `true` or a reason string (such as `eligible`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `true`.
    Yes,
    /// A reason string (or `false`, which gets a generic reason naming the hook).
    No(String),
}

impl Verdict {
    /// Whether the verdict is [`Verdict::Yes`].
    pub fn is_yes(&self) -> bool {
        matches!(self, Self::Yes)
    }
}

/// A value returned by a hook, with what is needed to report a wrong type: the hook, the
/// location of its definition and the path of the value inside the returned structure.
#[derive(Debug, Clone)]
pub struct HookValue {
    hook: String,
    location: Location,
    path: String,
    value: Dynamic,
}

/// A short description of a value for error messages: its type and, when short, itself.
pub(crate) fn describe(value: &Dynamic) -> String {
    let kind = if value.is_unit() {
        return "nothing (`()`)".to_string();
    } else if value.is_int() {
        "int"
    } else if value.is_float() {
        "float"
    } else if value.is_decimal() {
        "decimal"
    } else if value.is_bool() {
        "bool"
    } else if value.is_string() {
        "string"
    } else if value.is_char() {
        "char"
    } else if value.is_array() {
        "array"
    } else if value.is_map() {
        "map"
    } else {
        return format!("a value of type `{}`", value.type_name());
    };
    let text = if value.is_string() {
        format!("{:?}", value.to_string())
    } else {
        value.to_string()
    };
    if text.chars().count() <= 60 {
        format!("{kind} {text}")
    } else {
        let short: String = text.chars().take(57).collect();
        format!("{kind} {short}...")
    }
}

impl HookValue {
    /// Wraps `value` returned by `hook`, defined at `location`.
    pub fn new(hook: impl Into<String>, location: Location, value: Dynamic) -> Self {
        Self {
            hook: hook.into(),
            location,
            path: String::new(),
            value,
        }
    }

    /// The raw value.
    pub fn value(&self) -> &Dynamic {
        &self.value
    }

    /// The raw value, consumed.
    pub fn into_dynamic(self) -> Dynamic {
        self.value
    }

    /// The path of this value inside the hook's result (`""` for the result itself).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the value is `()` (rules return `()` to mean "no opinion").
    pub fn is_unit(&self) -> bool {
        self.value.is_unit()
    }

    /// The error for a value that is not `expected`.
    pub fn wrong(&self, expected: &str) -> RuleError {
        let expected = if self.path.is_empty() {
            expected.to_string()
        } else {
            format!("{expected} at `{}`", self.path)
        };
        RuleError::WrongReturnType {
            hook: self.hook.clone(),
            location: self.location.clone(),
            expected,
            found: describe(&self.value),
        }
    }

    fn child(&self, segment: &str, value: Dynamic) -> Self {
        let path = if self.path.is_empty() {
            segment.to_string()
        } else if segment.starts_with('[') {
            format!("{}{segment}", self.path)
        } else {
            format!("{}.{segment}", self.path)
        };
        Self {
            hook: self.hook.clone(),
            location: self.location.clone(),
            path,
            value,
        }
    }

    /// A number: int, float or decimal, as `f64`. NaN and infinities are refused.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn number(&self) -> Result<f64, RuleError> {
        let n = if let Ok(i) = self.value.as_int() {
            i as f64
        } else if let Ok(f) = self.value.as_float() {
            f
        } else if let Some(d) = self.value.clone().try_cast::<Decimal>() {
            d.to_f64().ok_or_else(|| self.wrong("number"))?
        } else {
            return Err(self.wrong("number"));
        };
        if n.is_finite() {
            Ok(n)
        } else {
            Err(self.wrong("finite number"))
        }
    }

    /// A number within `min..=max` (e.g. a score 0–100).
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for a non-number or a number out of range.
    pub fn number_in(&self, min: f64, max: f64) -> Result<f64, RuleError> {
        let n = self.number()?;
        if (min..=max).contains(&n) {
            Ok(n)
        } else {
            Err(self.wrong(&format!("number from {min} to {max}")))
        }
    }

    /// An integer. Floats and decimals with no fractional part are accepted.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn int(&self) -> Result<i64, RuleError> {
        if let Ok(i) = self.value.as_int() {
            return Ok(i);
        }
        let n = self.number().map_err(|_| self.wrong("integer"))?;
        if n.fract() == 0.0 && n >= i64::MIN as f64 && n <= i64::MAX as f64 {
            Ok(n as i64)
        } else {
            Err(self.wrong("integer"))
        }
    }

    /// A boolean.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn bool(&self) -> Result<bool, RuleError> {
        self.value.as_bool().map_err(|_| self.wrong("bool"))
    }

    /// `true`, `false` or a reason string.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value (including an empty string).
    pub fn bool_or_reason(&self) -> Result<Verdict, RuleError> {
        if let Ok(b) = self.value.as_bool() {
            return Ok(if b {
                Verdict::Yes
            } else {
                Verdict::No(format!("rule `{}` returned false", self.hook))
            });
        }
        match self.value.clone().into_string() {
            Ok(s) if !s.trim().is_empty() => Ok(Verdict::No(s)),
            _ => Err(self.wrong("true or a reason string")),
        }
    }

    /// A string (a char is accepted too).
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn string(&self) -> Result<String, RuleError> {
        if let Ok(c) = self.value.as_char() {
            return Ok(c.to_string());
        }
        self.value
            .clone()
            .into_string()
            .map_err(|_| self.wrong("string"))
    }

    /// A decimal: a decimal, an int, or a finite float (converted exactly as far as
    /// `f64` allows; prefer decimals such as `to_decimal("12.50")` for money).
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn decimal(&self) -> Result<Decimal, RuleError> {
        if let Some(d) = self.value.clone().try_cast::<Decimal>() {
            Ok(d)
        } else if let Ok(i) = self.value.as_int() {
            Ok(Decimal::from(i))
        } else if let Ok(f) = self.value.as_float() {
            Decimal::from_f64(f).ok_or_else(|| self.wrong("decimal"))
        } else {
            Err(self.wrong("decimal"))
        }
    }

    /// An object map.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn map(&self) -> Result<Map, RuleError> {
        self.value
            .clone()
            .try_cast::<Map>()
            .ok_or_else(|| self.wrong("map"))
    }

    /// The entries of an object map, sorted by key, each wrapped for further conversion.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] if the value is not a map.
    pub fn entries(&self) -> Result<Vec<(String, HookValue)>, RuleError> {
        let map = self.map()?;
        Ok(map
            .into_iter()
            .map(|(k, v)| {
                let child = self.child(k.as_str(), v);
                (k.to_string(), child)
            })
            .collect())
    }

    /// Field `key` of an object map: `None` when absent or `()`.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] if the value is not a map.
    pub fn field(&self, key: &str) -> Result<Option<HookValue>, RuleError> {
        if !self.value.is_map() {
            return Err(self.wrong("map"));
        }
        let value = self
            .value
            .read_lock::<Map>()
            .and_then(|m| m.get(key).cloned());
        Ok(value.filter(|v| !v.is_unit()).map(|v| self.child(key, v)))
    }

    /// The elements of an array, each wrapped for further conversion.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] if the value is not an array.
    pub fn array(&self) -> Result<Vec<HookValue>, RuleError> {
        let array = self
            .value
            .clone()
            .try_cast::<Array>()
            .ok_or_else(|| self.wrong("array"))?;
        Ok(array
            .into_iter()
            .enumerate()
            .map(|(i, v)| self.child(&format!("[{i}]"), v))
            .collect())
    }
}

impl RuleSet {
    /// Wraps a value returned by `hook` for typed conversion.
    pub fn value(&self, hook: &str, value: Dynamic) -> HookValue {
        HookValue::new(hook, self.location_of(hook), value)
    }

    /// `true`, `false` or a reason string returned by `hook`.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn expect_bool_or_reason(&self, hook: &str, value: Dynamic) -> Result<Verdict, RuleError> {
        self.value(hook, value).bool_or_reason()
    }

    /// A boolean returned by `hook`.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn expect_bool(&self, hook: &str, value: Dynamic) -> Result<bool, RuleError> {
        self.value(hook, value).bool()
    }

    /// A number (int, float or decimal) returned by `hook`, as `f64`.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn expect_number(&self, hook: &str, value: Dynamic) -> Result<f64, RuleError> {
        self.value(hook, value).number()
    }

    /// An integer returned by `hook`.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn expect_int(&self, hook: &str, value: Dynamic) -> Result<i64, RuleError> {
        self.value(hook, value).int()
    }

    /// A string returned by `hook`.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn expect_string(&self, hook: &str, value: Dynamic) -> Result<String, RuleError> {
        self.value(hook, value).string()
    }

    /// A decimal (or int, or float) returned by `hook`.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn expect_decimal(&self, hook: &str, value: Dynamic) -> Result<Decimal, RuleError> {
        self.value(hook, value).decimal()
    }

    /// An object map returned by `hook`.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn expect_map(&self, hook: &str, value: Dynamic) -> Result<Map, RuleError> {
        self.value(hook, value).map()
    }

    /// An array returned by `hook`.
    ///
    /// # Errors
    /// [`RuleError::WrongReturnType`] for any other value.
    pub fn expect_array(&self, hook: &str, value: Dynamic) -> Result<Array, RuleError> {
        let v = self.value(hook, value);
        v.value()
            .clone()
            .try_cast::<Array>()
            .ok_or_else(|| v.wrong("array"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv(v: Dynamic) -> HookValue {
        HookValue::new("h", Location::new("f.rhai", 1, 4), v)
    }

    #[test]
    fn numbers_are_lenient() {
        assert_eq!(hv(Dynamic::from(4_i64)).number().ok(), Some(4.0));
        assert_eq!(hv(Dynamic::from(2.5_f64)).number().ok(), Some(2.5));
        assert_eq!(
            hv(Dynamic::from(Decimal::new(125, 2))).number().ok(),
            Some(1.25)
        );
        assert_eq!(hv(Dynamic::from(3.0_f64)).int().ok(), Some(3));
        assert!(hv(Dynamic::from(3.5_f64)).int().is_err());
        assert!(hv(Dynamic::from(f64::NAN)).number().is_err());
        assert_eq!(
            hv(Dynamic::from(7_i64)).decimal().ok(),
            Some(Decimal::from(7))
        );
    }

    #[test]
    fn wrong_type_names_path_and_found() {
        let mut inner = Map::new();
        inner.insert("travel".into(), "far".into());
        let mut outer = Map::new();
        outer.insert("weights".into(), inner.into());
        let v = hv(outer.into());
        let err = v
            .field("weights")
            .and_then(|w| {
                w.map(|w| w.field("travel"))
                    .transpose()
                    .map(Option::flatten)
            })
            .and_then(|t| t.map(|t| t.number()).transpose());
        let err = err.err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "f.rhai:1:4: hook `h` returned string \"far\", expected number at `weights.travel`"
            )
        );
    }

    #[test]
    fn verdicts() {
        assert_eq!(hv(true.into()).bool_or_reason().ok(), Some(Verdict::Yes));
        assert_eq!(
            hv("busy".into()).bool_or_reason().ok(),
            Some(Verdict::No("busy".into()))
        );
        assert!(matches!(
            hv(false.into()).bool_or_reason(),
            Ok(Verdict::No(_))
        ));
        assert!(hv(1_i64.into()).bool_or_reason().is_err());
        assert!(hv("".into()).bool_or_reason().is_err());
    }

    #[test]
    fn field_of_non_map_is_an_error() {
        assert!(hv(1_i64.into()).field("x").is_err());
        let mut m = Map::new();
        m.insert("unit".into(), Dynamic::UNIT);
        let v = hv(m.into());
        assert!(v.field("unit").ok().flatten().is_none());
        assert!(v.field("absent").ok().flatten().is_none());
    }
}
