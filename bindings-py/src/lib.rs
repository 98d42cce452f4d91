//! Python bindings: filled in by the Python package issue.
