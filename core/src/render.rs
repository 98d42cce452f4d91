//! Renderers: in progress.
