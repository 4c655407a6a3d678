//! An insertion-ordered table of entities indexed by id: lookups are O(1) and iteration keeps
//! the dataset's order, so a dataset round-trips byte for byte.

use std::collections::HashMap;
use std::hash::Hash;

/// An entity with an id.
pub trait Keyed {
    /// The id type.
    type Key: Clone + Eq + Hash;
    /// The entity's id.
    fn key(&self) -> &Self::Key;
}

/// Entities in insertion order with an id index.
#[derive(Debug, Clone)]
pub struct Table<T: Keyed> {
    items: Vec<T>,
    index: HashMap<T::Key, usize>,
}

impl<T: Keyed> Default for Table<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T: Keyed> Table<T> {
    /// Builds a table; returns the table of first occurrences and the duplicates left out.
    pub fn from_vec(items: Vec<T>) -> (Self, Vec<T>) {
        let mut table = Self::default();
        let mut duplicates = Vec::new();
        for item in items {
            if let Err(dup) = table.insert(item) {
                duplicates.push(dup);
            }
        }
        (table, duplicates)
    }

    /// Adds an entity; gives it back when its id is taken.
    pub fn insert(&mut self, item: T) -> Result<(), T> {
        if self.index.contains_key(item.key()) {
            return Err(item);
        }
        self.index.insert(item.key().clone(), self.items.len());
        self.items.push(item);
        Ok(())
    }

    /// Inserts or replaces the entity with the same id (keeping its position).
    pub fn upsert(&mut self, item: T) {
        match self.index.get(item.key()) {
            Some(&i) => self.items[i] = item,
            None => {
                self.index.insert(item.key().clone(), self.items.len());
                self.items.push(item);
            }
        }
    }

    /// Makes room for `additional` more entities (one allocation instead of repeated growth
    /// when many are added at once).
    pub fn reserve(&mut self, additional: usize) {
        self.items.reserve(additional);
        self.index.reserve(additional);
    }

    /// Looks an entity up by id.
    pub fn get(&self, key: &T::Key) -> Option<&T> {
        self.index.get(key).map(|&i| &self.items[i])
    }

    /// Looks an entity up by id, mutably (its id must not be changed).
    pub fn get_mut(&mut self, key: &T::Key) -> Option<&mut T> {
        self.index.get(key).map(|&i| &mut self.items[i])
    }

    /// Whether the id exists.
    pub fn contains(&self, key: &T::Key) -> bool {
        self.index.contains_key(key)
    }

    /// All entities in order.
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }

    /// Iterates in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

macro_rules! keyed {
    ($($ty:ty => $field:ident : $key:ty),+ $(,)?) => {$(
        impl Keyed for $ty {
            type Key = $key;
            fn key(&self) -> &$key {
                &self.$field
            }
        }
    )+};
}

use super::*;
keyed!(
    Customer => id: CustomerId,
    BusinessCalendar => id: CalendarId,
    ServiceObject => id: ServiceObjectId,
    ServiceTask => code: TaskCode,
    Technician => id: TechnicianId,
    ServiceAgreement => id: AgreementId,
    ServiceOrder => id: OrderId,
    Subscription => id: SubscriptionId,
    ReturnOrder => id: ReturnOrderId,
    PartType => id: PartId,
    ToolType => id: ToolId,
    Depot => id: DepotId,
);
