//! Tests of order generation.
