//! Azure OpenAI (https://learn.microsoft.com/azure/ai-services/openai/reference), `api-key` auth.
//!
//! `azureServiceUrl` takes four forms:
//! - `https://{resource}.openai.azure.com/openai/deployments/{dep}/chat/completions?api-version=…`:
//!   a full URL; every request goes there.
//! - `https://{resource}.openai.azure.com/openai/deployments/{dep}?api-version=…`: the deployment
//!   is fixed; the API comes from the request path.
//! - `https://{resource}.openai.azure.com?api-version=…`: the deployment is the mapped model.
//! - `https://{resource}.openai.azure.com/openai/v1`: the v1 API (model in the body, no
//!   `api-version`).
//!
//! The `api-version` query is kept on every request.

use super::spec::{parse_url, Auth, Endpoint, PathRule, ProviderSpec, OPENAI_APIS};
use crate::config::fields::{ConfigErrors, Fields};
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "azure",
    base_url: "",
    auth: Auth::Header("api-key"),
    dialect: Dialect::OpenAi,
    apis: OPENAI_APIS,
    stream_usage: true,
    token_required: true,
    fields: &["azureServiceUrl"],
    configure: Some(configure),
    ..ProviderSpec::BASE
};

fn configure(f: &mut Fields, errs: &mut ConfigErrors, ep: &mut Endpoint) {
    let at = f.child("azureServiceUrl");
    let Some(url) = f.required_string("azureServiceUrl", errs) else { return };
    let Some((host, path, query)) = parse_url(&url) else {
        errs.push(&at, "is not a valid URL (expected https://{resource}.openai.azure.com/...)");
        return;
    };
    let path = path.trim_end_matches('/');
    let has_version = query.split('&').any(|kv| kv.starts_with("api-version="));
    ep.host = Some(host);
    ep.query = query.clone();
    if path == "/openai/v1" {
        ep.path = PathRule::Base(path.to_string());
        return;
    }
    if !has_version {
        errs.push(&at, "needs an `api-version` query parameter (or use the /openai/v1 form)");
        return;
    }
    let deployment = path.strip_prefix("/openai/deployments/");
    ep.path = match deployment {
        Some(dep) if !dep.is_empty() && !dep.contains('/') => PathRule::AzureDeployment(Some(dep.to_string())),
        _ if path.is_empty() => PathRule::AzureDeployment(None),
        _ => PathRule::Fixed(path.to_string()),
    };
}
