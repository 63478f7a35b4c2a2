"""The Jinja environment transformers renders chat templates with.

Mirrors transformers.utils.chat_template_utils._compile_jinja_template:
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with the
loopcontrols extension, the raise_exception / strftime_now globals and
transformers' own tojson filter. ({% generation %} comes from transformers'
AssistantTracker extension; here it is a plain passthrough block.)
"""

import json
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

# strftime_now() is pinned so that golden outputs are reproducible; the C++
# tests inject the same instant (2024-07-26 12:00:00 UTC).
FIXED_NOW = datetime(2024, 7, 26, 12, 0, 0)


class GenerationTag(jinja2.ext.Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(
            self.call_method("_passthrough"), [], [], body
        ).set_lineno(lineno)

    def _passthrough(self, caller):
        return caller()


def make_env():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(
            x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
            sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True,
        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(source, **context):
    """Returns (output, None) or (None, "ExceptionType: message")."""
    try:
        return make_env().from_string(source).render(**context), None
    except Exception as e:  # noqa: BLE001 - any failure is a golden error.
        return None, f"{type(e).__name__}: {e}"
