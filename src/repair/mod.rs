//! Repair management, after Dynamics AX: repair lines coded against code tables (symptom areas
//! and codes, conditions, diagnosis areas and codes, resolutions), repair stages on orders with
//! a "finished" flag, and the structure of service objects as versioned bills of materials.
//!
//! * [`record_repair_line`], [`validate_repair_line`], [`check_repair_lines`]: repair lines
//!   checked against the dataset's [`RepairCodes`] (section
//!   `repair_codes`; an empty table leaves its field free text).
//! * [`set_repair_stage`], [`repair_status`], [`check_ready_to_complete`]: repair stages.
//! * [`Boms`]: the BOM graph (petgraph), validated (cycles rejected naming the items and
//!   versions), with [`Boms::components`] as of a date and [`Boms::where_used`].

mod bom;
mod error;
mod lines;

/// The code tables and BOM versions as the dataset holds them (defined in [`crate::model`]).
pub use crate::model::{BomLine, BomVersion, Code, CodeArea, RepairCodes, RepairStage};
pub use bom::{Boms, Component, Validity, WhereUsed, MAX_ROWS};
pub use error::RepairError;
pub use lines::{
    check_ready_to_complete, check_repair_lines, record_repair_line, repair_status,
    set_repair_stage, validate_repair_line, RepairStatus,
};
