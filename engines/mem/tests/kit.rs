//! The conformance kit on the in-memory engine. It keeps nothing across a
//! reopen, so the kit runs the model, thread and contract checks and reports
//! the durability checks as skipped.

engine_kit::conformance_suite!(
    kit,
    engine_kit::KitConfig {
        name: "mem",
        open: mem::MemEngine::open_boxed,
        persistent: false,
        options: "",
        option_table: mem::OPTIONS,
        option_values: &[],
        background: "",
        known_failures: &[],
    }
);
