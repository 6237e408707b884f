//! The conformance and crash kit on the naive log.

engine_core::conformance_suite!(
    kit,
    engine_core::kit::KitConfig {
        name: "naive-log",
        open: naive_log::open,
        persistent: true,
        options: "",
        option_table: naive_log::OPTIONS,
        option_values: &[],
        background: "",
        known_failures: &[],
    }
);
