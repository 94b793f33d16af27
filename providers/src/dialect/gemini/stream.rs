//! Gemini `streamGenerateContent?alt=sse` → OpenAI `chat.completion.chunk` SSE.
//!
//! Each SSE `data:` event is a whole `GenerateContentResponse`
//! (<https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse>) holding only what
//! was generated since the previous event; the input views and the per-candidate, finishReason,
//! usage, id and error mappings are `response.rs`'s, so a stream says what the same answer
//! unstreamed would. Event by event, candidate by candidate (choice index = the candidate's
//! `index`, else its position, as proto3 JSON omits a zero):
//! - the first time a candidate index is seen → its role chunk `{"role":"assistant","content":""}`;
//! - the event's `thought: true` parts → one `reasoning_content` delta; its text parts → one
//!   `content` delta, which also carries `"extra_content":{"google":{"thought_signature"}}` when
//!   a non-function-call part had a `thoughtSignature` (Gemini 3 ends with an empty text part that
//!   only carries one: a delta with just `extra_content`);
//! - each `functionCall` part (Gemini sends whole calls, never fragments) → one `tool_calls` delta
//!   `{"index":k,"id","type":"function","function":{"name","arguments"},"extra_content"?}` with `k`
//!   counting the candidate's calls across the stream, `id` Gemini's `functionCall.id` else
//!   `call_<16 hex digits of ctx.random>_<n>` (`n` counts the stream's function calls from 0),
//!   `arguments` the compact JSON text of `args`, the part's signature as `extra_content`;
//! - other parts (`inlineData`, `executableCode`, …) have no chat-completions counterpart;
//! - `finishReason` → the candidate's finish chunk (`delta: {}`), once, mapped by
//!   `response::finish_reason` (`stop` becomes `tool_calls` when the candidate produced calls);
//! - `usageMetadata` is cumulative: the last one seen is the stream's usage.
//!
//! Gemini sends no end event: at the end of the stream (`finish`), when every candidate seen has
//! finished, the usage chunk (when `ctx.include_usage`, zeros if Gemini reported none) and
//! `data: [DONE]` follow; otherwise an "upstream stream ended early" error event and `[DONE]`. An
//! event with no candidates and a `promptFeedback.blockReason` → the blocked-prompt error
//! (`content_filter` code) as an event; an `{"error":{"code","message","status"}}` event → the
//! translated Google error as an event; an event that is not JSON or not of the documented shape,
//! or an SSE framing error → an error event. Nothing follows an error event but `[DONE]`.
//!
//! One chunk id for the stream: `chatcmpl-<responseId>` of the first event, else
//! `chatcmpl-<16 hex digits of ctx.random>`; model: the first event's `modelVersion`, else
//! `ctx.model`; created: `ctx.created`.

use std::borrow::Cow;
use std::io::Write;

use crate::dialect::gemini::response::{
    candidate_message, completion_id, finish_reason, google_error, is_json, openai_usage, prompt_blocked, response_in,
    write_extra_content, write_str, write_usage, CandidateIn, UsageIn,
};
use crate::dialect::openai::UsageOut;
use crate::dialect::{StreamTranslator, TranslateCtx};
use crate::error::ProxyError;
use crate::stream::sse::{Block, SseDecoder};

#[derive(Debug)]
pub struct GeminiToChatStream {
    decoder: SseDecoder,
    state: State,
}

impl GeminiToChatStream {
    pub fn new(ctx: TranslateCtx) -> Self {
        GeminiToChatStream {
            decoder: SseDecoder::default(),
            state: State { ctx, head: Vec::new(), choices: Vec::new(), calls: 0, usage: None, done: false },
        }
    }
}

impl StreamTranslator for GeminiToChatStream {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.state.done {
            return;
        }
        let state = &mut self.state;
        if let Err(e) = self.decoder.feed(chunk, &mut |b| state.on_block(b, out)) {
            state.fail(out, &bad_stream(format!("invalid upstream stream: {e}")));
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.state.done {
            return;
        }
        let state = &mut self.state;
        if let Err(e) = self.decoder.finish(&mut |b| state.on_block(b, out)) {
            state.fail(out, &bad_stream(format!("invalid upstream stream: {e}")));
        }
        state.end(out);
    }

    fn usage(&self) -> Option<UsageOut> {
        self.state.usage.as_ref().map(openai_usage)
    }
}

#[derive(Debug)]
struct State {
    ctx: TranslateCtx,
    /// `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[`, built
    /// from the first event; every chunk begins with it.
    head: Vec<u8>,
    /// The candidates seen, in order of appearance.
    choices: Vec<Choice>,
    /// Function calls seen in the whole stream (numbers the generated tool call ids).
    calls: u64,
    /// The last `usageMetadata`.
    usage: Option<UsageIn>,
    /// `[DONE]` was written: everything else is ignored.
    done: bool,
}

#[derive(Debug)]
struct Choice {
    index: u32,
    /// Function calls of this candidate so far: the next tool call index.
    tool_calls: u32,
    finished: bool,
}

/// An upstream stream we cannot read (the message is ours, never upstream bytes).
fn bad_stream(message: impl Into<String>) -> ProxyError {
    ProxyError::new(502, "api_error", message)
}

fn non_empty<'s>(s: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// Ends a chunk opened by `State::open_chunk`, after its delta.
fn close_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"finish_reason\":null}]}\n\n");
}

impl State {
    fn on_block(&mut self, block: Block<'_>, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        let Some(event) = block.event else { return };
        let data = event.data.trim();
        // Gemini sends no `[DONE]`; an OpenAI-style one from a compatible server ends nothing by
        // itself: the end of the stream decides.
        if data.is_empty() || data == "[DONE]" {
            return;
        }
        let ev = match response_in(data) {
            Ok(ev) => ev,
            Err(_) => {
                let message = if is_json(data) {
                    "upstream stream event has an unexpected shape"
                } else {
                    "upstream stream event is not valid JSON"
                };
                self.fail(out, &bad_stream(message));
                return;
            }
        };
        if let Some(err) = &ev.error {
            self.fail(out, &google_error(err, 502));
            return;
        }
        if self.head.is_empty() {
            self.start(non_empty(&ev.response_id), non_empty(&ev.model_version));
        }
        if let Some(usage) = ev.usage_metadata {
            self.usage = Some(usage);
        }
        if ev.candidates.is_empty() {
            if let Some(feedback) = ev.prompt_feedback.as_ref().filter(|f| non_empty(&f.block_reason).is_some()) {
                self.fail(out, &prompt_blocked(feedback));
            }
            return;
        }
        for (position, candidate) in ev.candidates.iter().enumerate() {
            // proto3 JSON omits a zero index: an absent one is the candidate's position.
            let index = candidate.index.unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
            self.on_candidate(index, candidate, out);
        }
    }

    fn on_candidate(&mut self, index: u32, candidate: &CandidateIn<'_>, out: &mut Vec<u8>) {
        let slot = match self.choices.iter().position(|c| c.index == index) {
            Some(slot) => slot,
            None => {
                self.choices.push(Choice { index, tool_calls: 0, finished: false });
                self.open_chunk(out, index);
                out.extend_from_slice(b"{\"role\":\"assistant\",\"content\":\"\"}");
                close_chunk(out);
                self.choices.len() - 1
            }
        };
        let m = candidate_message(&candidate.parts, self.ctx.random, &mut self.calls);
        if let Some(reasoning) = &m.reasoning {
            self.open_chunk(out, index);
            out.extend_from_slice(b"{\"reasoning_content\":");
            write_str(out, reasoning);
            out.push(b'}');
            close_chunk(out);
        }
        if !m.content.is_empty() || m.signature.is_some() {
            self.open_chunk(out, index);
            out.push(b'{');
            if !m.content.is_empty() {
                out.extend_from_slice(b"\"content\":");
                write_str(out, &m.content);
            }
            if let Some(signature) = m.signature {
                if !m.content.is_empty() {
                    out.push(b',');
                }
                write_extra_content(out, signature);
            }
            out.push(b'}');
            close_chunk(out);
        }
        let Some(choice) = self.choices.get_mut(slot) else { return };
        let first_call = choice.tool_calls;
        let calls = u32::try_from(m.tool_calls.len()).unwrap_or(u32::MAX);
        choice.tool_calls = choice.tool_calls.saturating_add(calls);
        let has_calls = choice.tool_calls > 0;
        let newly_finished = candidate.finish_reason.is_some() && !choice.finished;
        choice.finished |= candidate.finish_reason.is_some();
        for (k, mut call) in (first_call..).zip(m.tool_calls) {
            call.index = Some(k);
            self.open_chunk(out, index);
            out.extend_from_slice(b"{\"tool_calls\":[");
            call.write(out);
            out.extend_from_slice(b"]}");
            close_chunk(out);
        }
        if let (true, Some(reason)) = (newly_finished, candidate.finish_reason.as_deref()) {
            let reason = finish_reason(reason, has_calls);
            out.extend_from_slice(&self.head);
            let _ = write!(out, "{{\"index\":{index},\"delta\":{{}},\"finish_reason\":\"{reason}\"}}]}}\n\n");
        }
    }

    /// Builds the chunk head from the first event's id and model.
    fn start(&mut self, response_id: Option<&str>, model: Option<&str>) {
        let id = completion_id(response_id, self.ctx.random);
        let model = model.unwrap_or(&self.ctx.model);
        let mut head = Vec::with_capacity(96 + id.len() + model.len());
        head.extend_from_slice(b"data: {\"id\":");
        write_str(&mut head, &id);
        let _ = write!(head, ",\"object\":\"chat.completion.chunk\",\"created\":{},\"model\":", self.ctx.created);
        write_str(&mut head, model);
        head.extend_from_slice(b",\"choices\":[");
        self.head = head;
    }

    /// Writes a chunk up to its delta (`close_chunk` ends it).
    fn open_chunk(&self, out: &mut Vec<u8>, index: u32) {
        out.extend_from_slice(&self.head);
        out.extend_from_slice(b"{\"index\":");
        crate::json::write_u64(out, u64::from(index));
        out.extend_from_slice(b",\"delta\":");
    }

    /// The end of the upstream stream: a normal end when every candidate seen has finished.
    fn end(&mut self, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        if self.choices.is_empty() || self.choices.iter().any(|c| !c.finished) {
            self.fail(out, &bad_stream("upstream stream ended early"));
            return;
        }
        if self.ctx.include_usage {
            out.extend_from_slice(&self.head);
            out.extend_from_slice(b"],\"usage\":");
            write_usage(out, &openai_usage(self.usage.as_ref().unwrap_or(&UsageIn::default())));
            out.extend_from_slice(b"}\n\n");
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
        self.done = true;
    }

    /// An error event then `[DONE]`, unless the stream is already over.
    fn fail(&mut self, out: &mut Vec<u8>, err: &ProxyError) {
        if self.done {
            return;
        }
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&err.to_openai_json());
        out.extend_from_slice(b"\n\ndata: [DONE]\n\n");
        self.done = true;
        self.choices = Vec::new();
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
