//! The conformance and crash kit on the naive log.

engine_kit::conformance_suite!(
    kit,
    engine_kit::KitConfig {
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
