//! fieldwork
