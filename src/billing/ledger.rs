//! Idempotency: what has been billed already, keyed by (subscription, invoice period).
//!
//! A [`BillingKey`] is the subscription id and the first day of the *nominal* invoice period
//! (for a calendar-aligned first period that began before the subscription: the first of the
//! calendar period, not the subscription's start). Invoice periods of one subscription never
//! overlap, so the key names one period for good. A billing run skips every period whose key
//! its [`BilledLedger`] holds; store the keys of [`BillingRun::billed`](super::BillingRun) after
//! posting a run and billing the same period again creates nothing new.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::hash::BuildHasher;

use crate::model::SubscriptionId;

/// Identifies one invoice period of one subscription, written `S-1@2027-03-01`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BillingKey {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// First day of the nominal invoice period.
    pub period_start: NaiveDate,
}

impl fmt::Display for BillingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.subscription, self.period_start)
    }
}

/// What has been billed already. Implemented for sets of keys; a store implements it over its
/// table of posted keys.
pub trait BilledLedger {
    /// Whether the period has been billed.
    fn is_billed(&self, key: &BillingKey) -> bool;
}

impl<S: BuildHasher> BilledLedger for HashSet<BillingKey, S> {
    fn is_billed(&self, key: &BillingKey) -> bool {
        self.contains(key)
    }
}

impl BilledLedger for BTreeSet<BillingKey> {
    fn is_billed(&self, key: &BillingKey) -> bool {
        self.contains(key)
    }
}

impl<L: BilledLedger + ?Sized> BilledLedger for &L {
    fn is_billed(&self, key: &BillingKey) -> bool {
        (**self).is_billed(key)
    }
}
