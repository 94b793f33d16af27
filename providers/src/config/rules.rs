//! Higress per-route rules: `_rules_: [{_match_route_|_match_route_prefix_|_match_domain_|
//! _match_service_: [...], ...config}]`. The first matching rule wins; otherwise the global
//! configuration applies. Semantics follow Higress's rule matcher: domains match exactly, by
//! `*.suffix` or `prefix.*` (a bare `*` matches every host), the request port is ignored;
//! services match the FQDN of an Envoy cluster name `outbound|<port>|<subset>|<fqdn>`, with
//! an optional `:port`.

use super::fields::{ConfigErrors, Fields};
use super::ProviderConfig;
use std::sync::Arc;

/// What a request offers for matching.
#[derive(Debug, Default, Clone, Copy)]
pub struct RouteInfo<'a> {
    pub route_name: Option<&'a str>,
    pub authority: &'a str,
    pub cluster_name: Option<&'a str>,
}

#[derive(Debug)]
pub struct Rule {
    pub matcher: Matcher,
    /// `None`: the rule switches the plugin off for matching requests.
    pub provider: Option<Arc<ProviderConfig>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    Route(Vec<String>),
    RoutePrefix(Vec<String>),
    Domain(Vec<String>),
    Service(Vec<String>),
    /// `_match_route_` together with `_match_service_`: both must match.
    RouteAndService(Vec<String>, Vec<String>),
}

const KEYS: [&str; 4] = ["_match_route_", "_match_route_prefix_", "_match_domain_", "_match_service_"];

impl Matcher {
    pub fn parse(f: &mut Fields, errs: &mut ConfigErrors) -> Option<Matcher> {
        let mut lists: Vec<(&str, Vec<String>)> = Vec::new();
        for key in KEYS {
            if let Some(list) = f.string_list(key, errs) {
                let list: Vec<String> = list.into_iter().filter(|s| !s.is_empty()).collect();
                if list.is_empty() {
                    errs.push(&f.child(key), "must list at least one entry");
                }
                lists.push((key, list));
            }
        }
        match lists.as_slice() {
            [] => {
                errs.push(&f.path, format!("needs one of {}", KEYS.join(", ")));
                None
            }
            [(k, l)] => Some(match *k {
                "_match_route_" => Matcher::Route(l.clone()),
                "_match_route_prefix_" => Matcher::RoutePrefix(l.clone()),
                "_match_domain_" => Matcher::Domain(l.clone()),
                _ => Matcher::Service(l.clone()),
            }),
            [("_match_route_", r), ("_match_service_", s)] => Some(Matcher::RouteAndService(r.clone(), s.clone())),
            _ => {
                errs.push(
                    &f.path,
                    "has more than one match key (only _match_route_ with _match_service_ may be combined)",
                );
                None
            }
        }
    }

    pub fn uses_route(&self) -> bool {
        matches!(self, Matcher::Route(_) | Matcher::RoutePrefix(_) | Matcher::RouteAndService(..))
    }

    pub fn uses_service(&self) -> bool {
        matches!(self, Matcher::Service(_) | Matcher::RouteAndService(..))
    }

    pub fn matches(&self, r: &RouteInfo<'_>) -> bool {
        let route = r.route_name.unwrap_or("");
        let cluster = r.cluster_name.unwrap_or("");
        match self {
            Matcher::Route(l) => l.iter().any(|x| x == route),
            Matcher::RoutePrefix(l) => l.iter().any(|x| route.starts_with(x.as_str())),
            Matcher::Domain(l) => {
                let host = strip_port(r.authority);
                l.iter().any(|p| domain_matches(p, host))
            }
            Matcher::Service(l) => l.iter().any(|s| service_matches(s, cluster)),
            Matcher::RouteAndService(routes, services) => {
                routes.iter().any(|x| x == route) && services.iter().any(|s| service_matches(s, cluster))
            }
        }
    }
}

/// `host:port` → `host`, keeping IPv6 literals (`[::1]:80` → `[::1]`).
fn strip_port(authority: &str) -> &str {
    match authority.rfind(':') {
        Some(i) if !authority.get(i..).is_some_and(|t| t.contains(']')) => authority.get(..i).unwrap_or(authority),
        _ => authority,
    }
}

fn domain_matches(pattern: &str, host: &str) -> bool {
    if let Some(suffix) = pattern.strip_prefix('*') {
        host.ends_with(suffix)
    } else if let Some(prefix) = pattern.strip_suffix('*') {
        host.starts_with(prefix)
    } else {
        pattern == host
    }
}

fn service_matches(entry: &str, cluster: &str) -> bool {
    let parts: Vec<&str> = cluster.split('|').collect();
    let [_, port, _, fqdn] = parts.as_slice() else { return false };
    match entry.rsplit_once(':') {
        Some((name, p)) => name == *fqdn && p == *port,
        None => entry == *fqdn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert!(domain_matches("*.example.com", "a.b.example.com"));
        assert!(!domain_matches("*.example.com", "example.com"));
        assert!(domain_matches("www.*", "www.abc.com"));
        assert!(domain_matches("*", "anything"));
        assert!(domain_matches("api.x.com", "api.x.com"));
        assert!(!domain_matches("api.x.com", "api.x.co"));
        assert_eq!(strip_port("a.com:8080"), "a.com");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
    }

    #[test]
    fn services() {
        let c = "outbound|443||qwen.dns";
        assert!(service_matches("qwen.dns", c));
        assert!(service_matches("qwen.dns:443", c));
        assert!(!service_matches("moonshot.dns:443", c));
        assert!(!service_matches("qwen.dns:", c));
        assert!(!service_matches("qwen.dns", "qwen.dns"));
    }
}
