#!/usr/bin/env python3
"""Generates chat_goldens.json: real chat templates rendered by real jinja2.

templates/*.jinja are chat templates of public models (Qwen2.5, Qwen3,
Llama 3.1/3.2, DeepSeek-V3, Mistral v0.3, Gemma 2), reproduced from memory of
their tokenizer_config.json, plus the tiny-qwen3-moe fixture's ChatML
template. Each conversation is rendered as transformers' apply_chat_template
would (hf_jinja_env, with messages, tools, documents=None,
add_generation_prompt, the special tokens and extra kwargs);
chat_template_test replays them through weft's ChatTemplate.

  python3 common/chat/testdata/gen_chat_goldens.py   # needs Jinja2 (3.1.x)
"""

import json
import os

from hf_jinja_env import render

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE_CONFIG = os.path.join(
    HERE, "..", "..", "..", "tests", "data", "models", "tiny-qwen3-moe", "tokenizer_config.json")


def msg(role, content, **extra):
    m = {"role": role, "content": content}
    m.update(extra)
    return m


SYSTEM = msg("system", "You are a helpful assistant.")
USER1 = msg("user", "Hello! What's the weather like?")
ASSISTANT1 = msg("assistant", "I can't check live weather, but I can help you plan.")
USER2 = msg("user", "Then tell me a joke about \"quotes\" & <tags>.")
UNICODE_USER = msg("user", "Grüße aus Köln — 你好 😀\n  indented line\n")

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current time in a time zone.",
        "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}},
    },
}

# Tool-call conversations, with arguments as objects (transformers' format)
# or as JSON strings (OpenAI's wire format, which DeepSeek-V3 expects).
def tool_conversation(arguments_as_string=False, call_id="call_0001"):
    args = {"city": "Paris", "unit": "celsius"}
    if arguments_as_string:
        args = json.dumps(args)
    return [
        SYSTEM,
        msg("user", "What's the weather in Paris?"),
        msg("assistant", None if arguments_as_string else "", tool_calls=[
            {"id": call_id, "type": "function",
             "function": {"name": "get_weather", "arguments": args}}]),
        msg("tool", "{\"temperature\": 21, \"sky\": \"clear\"}", tool_call_id=call_id),
        msg("assistant", "It is 21 °C and clear in Paris."),
        msg("user", "Thanks!"),
    ]


QWEN_TOKENS = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}
LLAMA_TOKENS = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}
DEEPSEEK_TOKENS = {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"}
MISTRAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
GEMMA_TOKENS = {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"}

BASIC = [
    ("system_user", [SYSTEM, USER1], True, None, {}),
    ("multi_turn", [SYSTEM, USER1, ASSISTANT1, USER2], True, None, {}),
    ("multi_turn_no_generation_prompt", [SYSTEM, USER1, ASSISTANT1, USER2, msg("assistant", "Why did the quote cross the road?")], False, None, {}),
    ("no_system", [USER1, ASSISTANT1, USER2], True, None, {}),
    ("unicode", [UNICODE_USER], True, None, {}),
]

CHATML_TEMPLATE = json.load(open(FIXTURE_CONFIG))["chat_template"]

SUITES = [
    # (template file or None for the fixture, special tokens, conversations)
    (None, {"eos_token": "<|im_end|>"}, BASIC + [
        ("content_list_is_an_error", [msg("user", [{"type": "text", "text": "hi"}])], True, None, {}),
    ]),
    ("qwen2.5.jinja", QWEN_TOKENS, BASIC + [
        ("tools", [SYSTEM, msg("user", "What's the weather in Paris?")], True, [WEATHER_TOOL, TIME_TOOL], {}),
        ("tools_no_system", [msg("user", "Time in Tokyo?")], True, [TIME_TOOL], {}),
        ("tool_call_round_trip", tool_conversation(), True, [WEATHER_TOOL], {}),
        ("two_tool_results", [
            msg("user", "Weather in Paris and Rome?"),
            msg("assistant", "Checking both.", tool_calls=[
                {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Rome"}}}]),
            msg("tool", "sunny"), msg("tool", "rainy")], True, [WEATHER_TOOL], {}),
    ]),
    ("qwen3.jinja", QWEN_TOKENS, BASIC + [
        ("enable_thinking_false", [SYSTEM, USER1], True, None, {"enable_thinking": False}),
        ("enable_thinking_true", [SYSTEM, USER1], True, None, {"enable_thinking": True}),
        ("thinking_in_history", [USER1, msg("assistant", "<think>\nThe user greets me.\n</think>\n\nHi there!"), USER2], True, None, {}),
        ("thinking_last_assistant", [USER1, msg("assistant", "<think>\nShort.\n</think>\n\nHi there!")], False, None, {}),
        ("reasoning_content_field", [USER1, msg("assistant", "Hi there!", reasoning_content="Greeting."), USER2], True, None, {"enable_thinking": False}),
        ("tools", [SYSTEM, msg("user", "What's the weather in Paris?")], True, [WEATHER_TOOL], {}),
        ("tool_call_round_trip", tool_conversation(), True, [WEATHER_TOOL], {}),
        ("tool_call_string_arguments", tool_conversation(arguments_as_string=True), True, [WEATHER_TOOL], {}),
        ("content_list_becomes_empty", [msg("user", [{"type": "text", "text": "hi"}])], True, None, {}),
    ]),
    ("llama3.1.jinja", LLAMA_TOKENS, BASIC + [
        ("tools_in_user_message", [SYSTEM, msg("user", "What's the weather in Paris?")], True, [WEATHER_TOOL], {}),
        ("tools_in_system_message", [SYSTEM, msg("user", "What's the weather in Paris?")], True, [WEATHER_TOOL], {"tools_in_user_message": False}),
        ("tool_call_round_trip", tool_conversation(), True, [WEATHER_TOOL], {}),
        ("builtin_tools", [SYSTEM, msg("user", "Search for llamas")], True, None, {"builtin_tools": ["brave_search", "wolfram_alpha", "code_interpreter"]}),
        ("date_string", [USER1], True, None, {"date_string": "01 Jan 2025"}),
        ("tools_without_user_message", [SYSTEM], True, [WEATHER_TOOL], {}),
    ]),
    ("llama3.2.jinja", LLAMA_TOKENS, BASIC + [
        ("tools_in_user_message", [SYSTEM, msg("user", "What's the weather in Paris?")], True, [WEATHER_TOOL], {}),
    ]),
    ("deepseek_v3.jinja", DEEPSEEK_TOKENS, BASIC + [
        ("two_system_messages", [SYSTEM, msg("system", "Answer in French."), USER1], True, None, {}),
        ("tool_call_round_trip", tool_conversation(arguments_as_string=True), True, None, {}),
        ("tool_call_then_generation", tool_conversation(arguments_as_string=True)[:4], True, None, {}),
    ]),
    ("mistral_v0.3.jinja", MISTRAL_TOKENS, BASIC + [
        ("tools", [msg("user", "What's the weather in Paris?")], True, [WEATHER_TOOL], {}),
        ("tool_call_round_trip", tool_conversation(call_id="abc123XYZ")[1:], True, [WEATHER_TOOL], {}),
        ("bad_tool_call_id", tool_conversation(call_id="short")[1:], True, [WEATHER_TOOL], {}),
        ("roles_must_alternate", [USER1, USER2], True, None, {}),
    ]),
    ("gemma2.jinja", GEMMA_TOKENS, BASIC),
]


def main():
    goldens = []
    for template_file, tokens, conversations in SUITES:
        source = CHATML_TEMPLATE if template_file is None else open(
            os.path.join(HERE, "templates", template_file), encoding="utf-8").read()
        for name, messages, add_generation_prompt, tools, extra in conversations:
            context = dict(tokens)
            context.update(extra)
            output, error = render(
                source, messages=messages, tools=tools, documents=None,
                add_generation_prompt=add_generation_prompt, **context)
            case = {
                "template": template_file or "fixture:tiny-qwen3-moe",
                "name": name,
                "special_tokens": tokens,
                "messages": messages,
                "add_generation_prompt": add_generation_prompt,
                "extra_context": extra,
            }
            if tools is not None:
                case["tools"] = tools
            if error is None:
                case["output"] = output
            else:
                case["error"] = error
            goldens.append(case)
    with open(os.path.join(HERE, "chat_goldens.json"), "w", encoding="utf-8") as f:
        json.dump(goldens, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
