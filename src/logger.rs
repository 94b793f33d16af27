//! The `log` backend and the panic hook, in place of the SDK's (which `unwrap` the status of
//! every `proxy_log` call, so a refused log line would itself trap the VM). Neither can panic:
//! a message is formatted into a `String` whatever the `Display` impls return, and a host
//! that refuses a line is ignored.

use crate::host;
use proxy_wasm::types::LogLevel;
use std::fmt::Write;

struct HostLogger;

static LOGGER: HostLogger = HostLogger;

/// Installs the logger and the panic hook, at level Info. Runs in `_initialize`, where the host
/// allows no calls (Envoy fails the VM with `restricted_callback`): `sync_level` asks the host
/// later, from `on_configure`.
pub fn init() {
    // Err: a logger is installed already (ours, from an earlier call).
    let _ = log::set_logger(&LOGGER);
    std::panic::set_hook(Box::new(|info| {
        // With `panic = "abort"` the VM traps right after this line; say where, for the operator.
        host::log(LogLevel::Critical, &render(format_args!("ai-proxy: panic, the Wasm VM stops: {info}")));
    }));
    log::set_max_level(log::LevelFilter::Info);
}

/// Follows the host's level for this plugin (Envoy: `--component-log-level wasm:<level>`), so
/// that lines the host would drop are not formatted at all. Info when the host does not say.
pub fn sync_level() {
    log::set_max_level(host::log_level().map_or(log::LevelFilter::Info, level_filter));
}

fn level_filter(host_level: u32) -> log::LevelFilter {
    match host_level {
        0 => log::LevelFilter::Trace,
        1 => log::LevelFilter::Debug,
        2 => log::LevelFilter::Info,
        3 => log::LevelFilter::Warn,
        4 => log::LevelFilter::Error,
        _ => log::LevelFilter::Off,
    }
}

fn host_level(level: log::Level) -> LogLevel {
    match level {
        log::Level::Trace => LogLevel::Trace,
        log::Level::Debug => LogLevel::Debug,
        log::Level::Info => LogLevel::Info,
        log::Level::Warn => LogLevel::Warn,
        log::Level::Error => LogLevel::Error,
    }
}

/// `fmt::Arguments` to text. `to_string` panics when a `Display` impl returns an error; here
/// the text written so far is kept instead.
fn render(args: std::fmt::Arguments<'_>) -> String {
    let mut out = String::new();
    let _ = out.write_fmt(args);
    out
}

impl log::Log for HostLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            host::log(host_level(record.level()), &render(*record.args()));
        }
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing;
    impl std::fmt::Display for Failing {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("partial")?;
            Err(std::fmt::Error)
        }
    }

    #[test]
    fn a_display_error_does_not_panic() {
        assert_eq!(render(format_args!("a {} b", Failing)), "a partial");
    }

    #[test]
    fn host_levels_map_in_order() {
        let levels: Vec<_> = (0..=6).map(level_filter).collect();
        assert!(levels.windows(2).all(|w| w[0] >= w[1]), "{levels:?}");
        assert_eq!(level_filter(2), log::LevelFilter::Info);
        assert_eq!(level_filter(99), log::LevelFilter::Off);
    }
}
