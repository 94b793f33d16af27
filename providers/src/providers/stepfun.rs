//! StepFun (https://platform.stepfun.com/docs): OpenAI-compatible at `https://api.stepfun.com/v1`.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "stepfun",
    base_url: "api.stepfun.com/v1",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Models, ImageGenerations, AudioSpeech, AudioTranscriptions, Files],
    stream_usage: false,
    token_required: true,
    fields: &[],
    configure: None,
    ..ProviderSpec::BASE
};
