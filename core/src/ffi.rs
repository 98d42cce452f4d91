//! JSON boundary: in progress.
