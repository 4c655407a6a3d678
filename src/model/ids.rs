//! Typed identifiers: one newtype per entity kind, so an order id can never be passed where a
//! technician id is expected. All serialise as plain JSON strings.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),+ $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a string as this kind of id.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }
    )+};
}

id_type!(
    /// Identifies a [`Customer`](super::Customer).
    CustomerId,
    /// Identifies a [`BusinessCalendar`](super::BusinessCalendar).
    CalendarId,
    /// Identifies a [`ServiceObject`](super::ServiceObject).
    ServiceObjectId,
    /// Identifies a [`ServiceTask`](super::ServiceTask) (its code, e.g. `"HVAC-INSP"`).
    TaskCode,
    /// Identifies a [`Technician`](super::Technician).
    TechnicianId,
    /// Identifies a [`ServiceAgreement`](super::ServiceAgreement).
    AgreementId,
    /// Identifies an [`AgreementLine`](super::AgreementLine); unique across all agreements.
    AgreementLineId,
    /// Identifies a [`ServiceOrder`](super::ServiceOrder).
    OrderId,
    /// Identifies a [`Subscription`](super::Subscription).
    SubscriptionId,
    /// Identifies a [`ReturnOrder`](super::ReturnOrder) (RMA number).
    ReturnOrderId,
    /// Names an SLA policy that agreements refer to; resolved by the SLA rules.
    SlaPolicyId,
    /// Names a territory (service region) shared by customers and technicians.
    TerritoryId,
    /// Identifies a [`BomVersion`](super::BomVersion) (one version of an item's bill of materials).
    BomId,
    /// Identifies a [`PartType`](super::PartType) (a spare part's catalogue id).
    PartId,
    /// Identifies a [`ToolType`](super::ToolType).
    ToolId,
    /// Identifies a [`Depot`](super::Depot) (a warehouse where technicians restock).
    DepotId,
);
