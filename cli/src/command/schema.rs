//! `dbstack schema`: the JSON Schema of the resolution document.

pub(crate) fn run() -> i32 {
    crate::output::print_json(&dbstack_core::resolution_schema());
    0
}
