"""Per-provider samples shared by the e2e tests that talk to a provider through the mock: one
configuration per provider kind (an OpenAI-wire passthrough and each translated dialect),
the model each is called with, a normal JSON answer in the provider's own format (its text is
"Hi") and a normal stream in the provider's own format (its text is "Hello world!")."""

from __future__ import annotations

import json

PROVIDERS = ("deepseek", "claude", "gemini", "qwen")
TRANSLATED = ("claude", "gemini", "qwen")

CONFIGS = {
    "deepseek": {"provider": {"type": "deepseek", "apiTokens": ["sk-ds"]}},
    "claude": {"provider": {"type": "claude", "apiTokens": ["sk-ant"]}},
    "gemini": {"provider": {"type": "gemini", "apiTokens": ["AIza-test"]}},
    "qwen": {"provider": {"type": "qwen", "apiTokens": ["sk-dashscope"]}},
}
MODELS = {"deepseek": "deepseek-chat", "claude": "claude-sonnet-4-5", "gemini": "gemini-2.5-flash",
          "qwen": "qwen-plus"}

JSON_CT = {"content-type": "application/json"}
SSE_CT = {"content-type": "text/event-stream"}

# A normal answer per provider: the follow-up request after each fault must get "Hi" back.
OK_JSON = {
    "deepseek": {"id": "chatcmpl-ok", "object": "chat.completion", "created": 1, "model": "deepseek-chat",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}]},
    "claude": {"id": "msg_ok", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
               "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn",
               "usage": {"input_tokens": 3, "output_tokens": 1}},
    "gemini": {"candidates": [{"content": {"parts": [{"text": "Hi"}], "role": "model"}, "finishReason": "STOP",
                               "index": 0}],
               "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4},
               "modelVersion": "gemini-2.5-flash", "responseId": "resp-ok"},
    "qwen": {"output": {"choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "Hi"}}]},
             "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}, "request_id": "req-ok"},
}


def _claude_sse(events: list[dict]) -> list[str]:
    return [f"event: {e['type']}\ndata: {json.dumps(e, separators=(',', ':'))}\n\n" for e in events]


def _gemini_event(text: str, finish: str | None = None) -> dict:
    cand = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
    if finish:
        cand["finishReason"] = finish
    return {"candidates": [cand], "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5},
            "modelVersion": "gemini-2.5-flash", "responseId": "resp-fault"}


def _qwen_event(i: int, text: str, finish: str = "null") -> str:
    ev = {"output": {"choices": [{"message": {"content": text, "role": "assistant"}, "finish_reason": finish}]},
          "usage": {"input_tokens": 5, "output_tokens": i, "total_tokens": 5 + i}, "request_id": "req-fault"}
    return f"id:{i}\nevent:result\n:HTTP_STATUS/200\ndata:{json.dumps(ev, separators=(',', ':'))}\n\n"


def _openai_chunk(delta: dict, finish=None) -> str:
    ev = {"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": 1, "model": "deepseek-chat",
          "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(ev, separators=(',', ':'))}\n\n"


# Each provider's own stream, event by event; the text is "Hello" + " world" + "!".
STREAM_EVENTS = {
    "deepseek": [_openai_chunk({"role": "assistant", "content": ""}), _openai_chunk({"content": "Hello"}),
                 _openai_chunk({"content": " world"}), _openai_chunk({"content": "!"}),
                 _openai_chunk({}, "stop"), "data: [DONE]\n\n"],
    "claude": _claude_sse([
        {"type": "message_start", "message": {"id": "msg_fault", "type": "message", "role": "assistant",
                                              "model": "claude-sonnet-4-5", "content": [], "stop_reason": None,
                                              "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " world"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": 3}},
        {"type": "message_stop"},
    ]),
    "gemini": [f"data: {json.dumps(e, separators=(',', ':'))}\r\n\r\n" for e in (
        _gemini_event("Hello"), _gemini_event(" world"), _gemini_event("!", "STOP"))],
    "qwen": [_qwen_event(1, "Hello"), _qwen_event(2, " world"), _qwen_event(3, "!", "stop")],
}
