#!/usr/bin/env python3
"""Generates jinja_cases.json: templates rendered by real jinja2.

Every case is rendered with hf_jinja_env (transformers' chat-template
environment); jinja_interpreter_test replays them through weft's interpreter
and expects the same output, or an error where jinja2 raised one.

  python3 common/chat/testdata/gen_jinja_cases.py   # needs Jinja2 (3.1.x)
"""

import json
import os

from hf_jinja_env import render

CONTEXT = {
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi <there> & \"you\""},
        {"role": "assistant", "content": "Hello!", "tool_calls": [
            {"type": "function", "function": {"name": "get", "arguments": {"city": "Paris", "n": 2}}}]},
    ],
    "s": "  Hello, World  ",
    "u": "h\u00e9llo w\u00f6rld \u4f60\u597d",
    "n": 7,
    "f": 2.5,
    "t": True,
    "z": None,
    "lst": [3, 1, 2],
    "strs": ["b", "A", "a", "c"],
    "d": {"b": 1, "a": 2, "c": {"x": [1, 2]}},
    "people": [{"name": "Ann", "age": 30}, {"name": "bob", "age": 25}, {"name": "Cy"}],
    "empty": [],
    "big": 9007199254740993,
}

CASES = [
    # --- Whitespace control, trim_blocks, lstrip_blocks ---
    ("ws_trim_lstrip", "a\n  {% if true %}\n  x\n  {% endif %}\n  b"),
    ("ws_plus_disables", "a\n  {%+ if true %}\n  x\n  {%- endif +%}\n  b"),
    ("ws_comment_lines", "  {# c #}\nx {# c #}\ny\n"),
    ("ws_trailing_newline", "x\n\n"),
    ("ws_single_trailing_newline", "x\n"),
    ("ws_minus_both", "{{ 'a' }}\n  {{ 'b' }}  \n{%- if 1 -%}  c  {%- endif %}"),
    ("ws_raw", "  {% raw %}  {{ x }} {% endraw %}\nz"),
    ("ws_raw_minus", "a  {%- raw -%}  {{ x }}  {%- endraw -%}  b"),
    ("ws_variable_no_lstrip", "a\n    {{ 'v' }}\n  {% if true %}y{% endif %}"),
    ("ws_crlf", "a\r\n  {% if true %}\r\n  x\r\n  {% endif %}\r\nb\r\n"),
    ("ws_comment_minus", "a  {#- comment -#}  b"),
    ("ws_tabs", "a\n\t \t{% if true %}\tx\n{% endif %}"),
    ("ws_lstrip_after_text_on_line", "a {% if true %}x{% endif %}"),
    ("ws_block_then_block", "{% for i in [1, 2] %}\n    {% if i %}\n{{ i }}\n    {% endif %}\n{% endfor %}\n"),
    ("ws_minus_var_end", "{{ 'a' -}}   \n\n  b"),
    ("ws_nested_indent", "{%- for m in messages %}\n  {%- if m.role == 'user' %}\n    U:{{ m.content }}\n  {%- else %}\n    O:{{ m.role }}\n  {%- endif %}\n{%- endfor %}"),
    ("ws_unicode_space", "a\u3000 {%- if true %}x{% endif %}"),
    ("comment_multiline", "a{# line1\nline2 #}b"),
    ("comment_hash_minus", "{#-#}x"),
    # --- Literals and printing ---
    ("print_scalars", "{{ 1 }} {{ -3 }} {{ 2.5 }} {{ true }} {{ false }} {{ none }} {{ True }} {{ None }} {{ 'x' }}"),
    ("print_containers", "{{ [1, 'a', none, true, 1.5, (1,), (1, 2), {'a': [1]}] }}"),
    ("print_dict", "{{ {'a': 'x', 1: none, 'c': [1.5, true]} }}"),
    ("print_tuple_forms", "{{ (1, 2) }} {{ (1,) }} {{ () }} {{ 1, 2 }}"),
    ("print_floats", "{{ 1e20 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1/3 }} {{ 10/2 }} {{ 1e3 }} {{ 0.1 + 0.2 }} {{ -0.0 }} {{ 123456789012345678.0 }} {{ 1.5e-7 }}"),
    ("print_ints", "{{ 0x10 }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ big }}"),
    ("print_str_repr", "{{ ['a', \"b'c\", 'd\"e', 'f\\ng', '\u00e9', 'tab\\t', '\\\\'] }}"),
    ("string_escapes", "{{ \"x\\ny\\t\\u00e9\\x41\\101\\q\\U0001F600\" }}|{{ 'it\\'s' }}"),
    ("string_adjacent", "{{ 'a' 'b' \"c\" }}"),
    ("undefined_prints_empty", "[{{ nothing }}][{{ nothing.__class__ is defined }}]"),
    ("none_attr_undefined", "[{{ z.x }}]"),
    # --- Operators and precedence ---
    ("arith", "{{ 10 // 3 }} {{ 10 / 4 }} {{ 2 * 3.0 }} {{ 1 + 2.5 }} {{ -(3) }} {{ 7 % 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }}"),
    ("precedence", "{{ not true and false }} {{ not (true and false) }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 1 ~ 2 * 3 }} {{ -2 ** 2 }} {{ 2 ** 3 ** 2 }} {{ -1|abs }}"),
    ("precedence_concat_vs_plus", "{{ 'a' ~ 1 + 2 }}"),
    ("concat", "{{ 'a' ~ none ~ nothing ~ 1 ~ true ~ [1] }}"),
    ("and_or_values", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }}|{{ none or none }}|{{ [] or [1] }}"),
    ("compare", "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ not 1 == 2 }} {{ [1, 2] < [1, 3] }} {{ true == 1 }} {{ (1,) == [1] }} {{ {'a': 1} == {'a': 1} }} {{ none == none }} {{ nothing == nothing2 }} {{ 'a' != 'a' }}"),
    ("in_operator", "{{ 1 in [1, 2] }} {{ 'a' in 'cat' }} {{ 'k' in {'k': 1} }} {{ 1 in nothing }} {{ 'x' not in 'abc' }} {{ 'tool_calls' in messages[2] }} {{ 'tool_calls' in messages[0] }}"),
    ("condexpr", "{{ 5 if 1 else 6 }} {{ 'y' if false else 'z' if false else 'w' }}|{{ 'x' if false }}|{{ ('x' if false) is defined }}"),
    ("string_mult", "{{ 'ab' * 3 }}|{{ 3 * 'ab' }}|{{ 'a' * 0 }}|{{ [1, 2] * 2 }}|{{ [1, 2] + [3] }}|{{ (1,) + (2,) }}|{{ 'a' + 'b' }}"),
    ("bool_arith", "{{ true + 1 }} {{ true * 3 }} {{ false - 1 }}"),
    ("percent_format_flags", "[{{ '%-5s|%5s|%.2s|%05d|%+d|%x|%X|%o|%e|%.3g|%c' % ('ab', 'cd', 'xyz', 42, 7, 255, 255, 8, 12345.678, 3.14159, 65) }}][{{ '%(a)s-%(b)d' % {'a': 'x', 'b': 2} }}][{{ '%5.1f%%' % 99.44 }}][{{ '%-6s|' % 'été' }}]"),
    ("percent_format_mapping_unused", "{{ 'abc' % {'a': 1} }}|{{ 'abc' % [1] }}|{{ 'x' % () }}|{{ 10 ** 20 > 1 if false else 'ok' }}"),
    ("percent_format", "{{ '%s-%d' % ('a', 3) }} {{ '%s' % 'x' }} {{ '%.2f' % 3.14159 }} {{ '100%%' % () }} {{ '%s' % [1, 2] }} {{ '%r' % 'q' }}"),
    # --- Attribute, item, slices ---
    ("getattr_getitem", "{{ messages[0].role }} {{ messages[0]['content'] }} {{ messages.0.role }} {{ d.c.x[1] }} {{ d['c']['x'][-1] }}"),
    ("missing_items", "[{{ lst[5] }}][{{ d['zz'] }}][{{ d.zz }}][{{ messages[0].tool_calls }}]"),
    ("slices", "{{ lst[1:] }} {{ lst[::-1] }} {{ 'hello'[-3:-1] }} {{ [1, 2, 3, 4, 5][::2] }} {{ [1, 2, 3, 4, 5][4:1:-2] }} {{ 'abc'[5:] }} {{ (1, 2, 3)[:2] }} {{ 'hello'[::-2] }} {{ [1,2,3][-100:100] }} {{ [1,2,3][:-1] }}"),
    ("unicode_string_ops", "{{ u|length }} {{ u[1] }} {{ u[::-1] }} {{ u|upper }} {{ u[-2:] }} {{ u.split() }} {{ u|list|length }}"),
    ("string_index", "{{ 'abc'[0] }}{{ 'abc'[-1] }}{{ 'abc'.1 }}"),
    # --- Statements ---
    ("if_elif_else", "{% for v in [0, 1, 2] %}{% if v == 0 %}zero{% elif v == 1 %}one{% else %}many{% endif %};{% endfor %}"),
    ("for_loop_vars", "{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.depth }};{% endfor %}"),
    ("for_filter_else", "{% for x in [1, 2, 3, 4] if x is even %}{{ x }}{{ loop.index }}/{{ loop.length }} {% else %}none{% endfor %}|{% for x in [] %}{{ x }}{% else %}empty{% endfor %}"),
    ("for_prev_next_cycle", "{% for x in 'abc' %}[{{ loop.previtem }}{{ x }}{{ loop.nextitem }}|{{ loop.cycle('o', 'e') }}]{% endfor %}"),
    ("for_break_continue", "{% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% if x == 3 %}{% break %}{% endif %}{% endfor %}"),
    ("for_dict", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor %}"),
    ("for_string", "{% for c in 'h\u00e9!' %}[{{ c }}]{% endfor %}"),
    ("for_nested_loop_var", "{% for i in [1, 2] %}{% for j in [3, 4] %}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}"),
    ("for_undefined", "{% for x in nothing %}x{% else %}nothing{% endfor %}"),
    ("loop_outside", "[{{ loop }}]{% for x in [1] %}{{ loop }}{% endfor %}"),
    ("scope_loop_set", "{% set x = 0 %}{% for i in range(3) %}{{ x }}{% set x = x + 1 %}{{ x }},{% endfor %}|{{ x }}"),
    ("scope_loop_if_set", "{% for i in range(3) %}{% if i == 0 %}{% set y = 5 %}{% endif %}{{ y }},{% endfor %}|{{ y }}"),
    ("scope_if_set", "{% if true %}{% set z = 3 %}{% endif %}{{ z }}"),
    ("scope_loop_var_gone", "{% for i in range(3) %}{% endfor %}[{{ i }}]"),
    ("scope_set_shadow", "{% set x = 7 %}{% for i in range(2) %}{{ x }}{% set x = i %}{{ x }};{% endfor %}{{ x }}"),
    ("namespace", "{% set ns = namespace(a=1, b='x') %}{% for i in range(3) %}{% set ns.a = ns.a + i %}{% endfor %}{{ ns.a }} {{ ns.b }} {{ ns.c }}|{{ ns.c is defined }}"),
    ("namespace_dict_arg", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{% set ns.a = 'z' %}{{ ns['a'] }}"),
    ("namespace_print", "{% set ns = namespace(a=1) %}{{ ns }}"),
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = 1, 2 %}{{ c }}"),
    ("set_block", "{% set x %}\n  a{{ 1 + 1 }}\n{% endset %}[{{ x }}]{% set y | upper %}hi{% endset %}{{ y }}"),
    ("set_block_scope", "{% set x %}a{% set inner = 1 %}b{% endset %}{{ x }}[{{ inner }}]"),
    ("with_block", "{% with a = 1, b = 2 %}{% set c = 3 %}{{ a }}{{ b }}{{ c }}{% endwith %}[{{ a }}{{ c }}]"),
    ("filter_block", "{% filter upper %}ab{{ 'c' }}{% endfilter %}{% filter replace('a', 'b')|upper %}aa{% endfilter %}"),
    ("macro_basic", "{% macro m(a, b=a ~ 'x') %}{{ a }}{{ b }}{% endmacro %}{{ m(1) }} {{ m(1, 2) }} {{ m(b=3, a=4) }}"),
    ("macro_missing_arg", "{% macro m(a) %}[{{ a }}]{% endmacro %}{{ m() }}"),
    ("macro_varargs_kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k='v') }}"),
    ("macro_closure", "{% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ m() }}"),
    ("macro_recursive", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}"),
    ("macro_in_loop", "{% macro show(m) %}<{{ m.role }}>{% endmacro %}{% for m in messages %}{{ show(m) }}{% endfor %}"),
    ("macro_schema", "{% macro render(v, indent) %}{% if v is mapping %}{% for k, x in v.items() %}{{ indent }}{{ k }}:\n{{ render(x, indent ~ '  ') }}{% endfor %}{% else %}{{ indent }}{{ v }}\n{% endif %}{% endmacro %}{{ render(d, '') }}"),
    ("print_tag", "{% print 'a' ~ 1 %}"),
    ("generation_tag", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% endif %}{% endfor %}"),
    ("raise_exception_text", "before{% if false %}{{ raise_exception('no') }}{% endif %}after"),
    # --- Filters ---
    ("f_trim", "[{{ s|trim }}][{{ 'xxabxx'|trim('x') }}][{{ none|trim }}][{{ nothing|trim }}][{{ 5|trim }}]"),
    ("f_length", "{{ 'abc'|length }} {{ d|length }} {{ lst|count }} {{ nothing|length }} {{ u|length }}"),
    ("f_case", "{{ 'Hello World'|title }} {{ 'hello-world (foo) x[y'|title }} {{ 'hELLO'|capitalize }} {{ s|upper }} {{ s|lower }}"),
    ("f_case_unicode", "{{ 'àéîõüÿµ āăąćĉ ĳ ĺļľ ŀł ńņň ŋō źżž ſ αβγσςω άέήίόύώ абвгдеёжюя ａｂｃ'|upper }} {{ 'ÀÉÎÕÜŸ ĀĂĄĆĈ Ĳ ĹĻĽ ĿŁ ŃŅŇ ŊŌ ŹŻŽ ΑΒΓΩ ΆΈΉΊΌΎΏ АБВГДЕЁЖЮЯ ＡＢＣ'|lower }} {{ 'élan vital'|title }} {{ 'éLAN'|capitalize }} {{ 'ébc'.title() }} {{ 'é' is lower }} {{ 'É1' is upper }} {{ 'éA'.islower() }} {{ '1'.isupper() }}"),
    ("f_sort", "{{ lst|sort }} {{ strs|sort }} {{ strs|sort(case_sensitive=true) }} {{ lst|sort(reverse=true) }} {{ people|sort(attribute='name')|map(attribute='name')|list }}"),
    ("f_dictsort", "{{ d|dictsort }} {{ {'b': 1, 'A': 2, 'a': 0}|dictsort }} {{ {'b': 1, 'a': 2}|dictsort(by='value') }} {{ {'b': 1, 'a': 2}|dictsort(reverse=true) }}"),
    ("f_items", "{{ {'b': 1, 'a': 2}|items|list }} {{ nothing|items|list }}"),
    ("f_join", "{{ lst|join(', ') }} {{ people|map(attribute='name')|join }} {{ people|join('|', attribute='name') }} {{ [1, none, 'a']|join('-') }}"),
    ("f_map", "{{ strs|map('upper')|list }} {{ people|map(attribute='age')|list }} {{ people|map(attribute='age', default=0)|list }} {{ ['a ', ' b']|map('trim')|join }} {{ lst|map('string')|list }}"),
    ("f_select", "{{ people|selectattr('age')|map(attribute='name')|list }} {{ people|selectattr('age', 'equalto', 25)|list }} {{ people|rejectattr('age', 'defined')|list }} {{ lst|select('odd')|list }} {{ lst|reject('odd')|list }} {{ [0, 1, '', 'a']|select|list }} {{ people|selectattr('age', 'defined')|selectattr('age', '>', 26)|map(attribute='name')|list }}"),
    ("f_selectattr_tool_calls", "{{ messages|selectattr('tool_calls', 'defined')|list|length }} {{ messages|selectattr('role', 'in', ['user', 'system'])|map(attribute='role')|join(',') }}"),
    ("f_indent", "{{ 'a\nb\n\nc'|indent(2) }}|{{ 'a\nb'|indent(2, true) }}|{{ 'a\n\nb'|indent('>', blank=true) }}|{{ 'x'|indent }}|{{ 'a\nb\n'|indent(first=true) }}"),
    ("f_default", "{{ nothing|default('d') }} {{ none|default('d') }} {{ ''|default('d', true) }} {{ nothing|d('e') }} {{ 0|default(5, boolean=true) }} {{ 'x'|default('y') }}"),
    ("f_unique", "{{ [1, 2, 2, 'a', 'A']|unique|list }} {{ ['a', 'A']|unique(case_sensitive=true)|list }} {{ people|unique(attribute='age')|map(attribute='name')|list }}"),
    ("f_reverse", "{{ 'abc'|reverse }} {{ lst|reverse|list }} {{ d|reverse|list }}"),
    ("f_list", "{{ 'abc'|list }} {{ d|list }} {{ nothing|list }} {{ lst|list }}"),
    ("f_int_float", "{{ 3.7|int }} {{ '42'|int }} {{ 'x'|int }} {{ '3.5'|int }} {{ ' 12 '|int }} {{ 'x'|int(7) }} {{ 'ff'|int(base=16) }} {{ true|int }} {{ '3.5'|float }} {{ 5|float }} {{ 'abc'|float }} {{ '1e3'|float }} {{ none|int }}"),
    ("f_first_last", "{{ lst|first }} {{ lst|last }} [{{ empty|first }}] {{ 'abc'|first }} {{ 'abc'|last }} {{ d|first }}"),
    ("f_min_max_sum", "{{ lst|max }} {{ lst|min }} {{ lst|sum }} {{ strs|max }} {{ strs|min }} {{ people[:2]|sum(attribute='age') }} {{ [1.5, 2]|sum }} {{ people|min(attribute='name') }} {{ [[1], [2]]|sum(start=[]) }}"),
    ("f_string", "{{ 5|string }} {{ [1]|string }} {{ none|string }} {{ (1|string) ~ 2 }}"),
    ("f_replace", "{{ 'abc'|replace('b', 'X') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'abc'|replace('', '-') }} {{ 5|replace('5', 'five') }}"),
    ("f_round_abs", "{{ 2.5|round }} {{ 3.5|round }} {{ 2.567|round(2) }} {{ 2.1|round(method='ceil') }} {{ 2.9|round(0, 'floor') }} {{ 5|round }} {{ -3|abs }} {{ -2.5|abs }}"),
    ("f_escape_safe", "{{ '<a href=\"x\">&\\'</a>'|e }} {{ '<b>'|escape }} {{ '<b>'|safe }}"),
    ("f_format", "{{ '%s=%d'|format('a', 1) }}"),
    ("f_attr", "{{ d|attr('b') }}|{{ d|attr('items') is defined }}|{{ messages[0]|attr('role') }}"),
    ("f_tojson", "{{ d|tojson }} {{ messages[2]|tojson }} {{ 'x\u2028\"\\\\\n\u00e9'|tojson }} {{ 1.0|tojson }} {{ (1, 2)|tojson }} {{ d|tojson(sort_keys=true) }} {{ none|tojson }} {{ [true, false]|tojson }} {{ {1: 2, none: 3, true: 4, 1.5: 5}|tojson }}"),
    ("f_tojson_indent", "{{ d|tojson(indent=2) }}|{{ {'a': [], 'b': {}}|tojson(indent=4) }}|{{ lst|tojson(indent='\t') }}|{{ lst|tojson(indent=0) }}"),
    ("f_tojson_options", "{{ 'h\u00e9\U0001F600'|tojson(ensure_ascii=true) }} {{ d|tojson(separators=(',', ':')) }} {{ {'\u00e9': 1}|tojson(true) }}"),
    ("f_tojson_unicode_controls", "{{ '\\x00\\x1f\\x7f\\b\\f\\r\\t'|tojson }}"),
    ("f_chained", "{{ messages|map(attribute='content')|map('length')|list }} {{ (messages|last).content|upper }} {{ messages[-1]['content']|trim|length }}"),
    ("iterators", "[{% if []|select %}T{% endif %}|{% if nothing|items %}T{% endif %}|{{ []|select is sequence }}|{{ []|select is iterable }}|{{ ([1]|select)[0] }}|{{ lst|select|reverse }}|{{ lst|reverse|reverse }}|{{ lst|reverse|join }}|{{ lst|map('string')|first }}|{{ 1 in lst|select }}|{% for x in lst|select %}{{ loop.length }}{% endfor %}|{{ lst|select|sort }}|{{ [1]|select == [1] }}|{{ lst|unique|list }}|{{ d|reverse|list }}]"),
    ("dict_views", "[{{ d.keys() }}|{{ d.values()|list }}|{{ d.items()|length }}|{{ d.keys() == d.keys() }}|{{ d.items()|first }}|{% if {}.keys() %}T{% else %}F{% endif %}|{{ d.keys()[0] }}|{{ d.keys() is sequence }}|{{ d.keys()|reverse|list }}|{{ 'a' in d.keys() }}]"),
    # --- Tests ---
    ("tests_types", "{{ 1 is number }} {{ true is number }} {{ 1.0 is integer }} {{ true is integer }} {{ 1 is integer }} {{ 1.5 is float }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is sequence }} {{ 'a' is sequence }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ none is none }} {{ nothing is undefined }} {{ true is boolean }} {{ 1 is boolean }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ d is sequence }} {{ nothing is sequence }} {{ nothing is iterable }}"),
    ("tests_values", "{{ 1 is odd }} {{ 2 is even }} {{ 3 is divisibleby 3 }} {{ 1 is in [1] }} {{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 3 is gt 2 }} {{ 2 is lessthan 3 }} {{ 2 is ge 2 }} {{ 2 is le 1 }} {{ 1 is ne 2 }} {{ 'A' is upper }} {{ 'a' is lower }} {{ 'aB' is lower }}"),
    ("tests_negated", "{{ 1 is not none }} {{ not 1 is none }} {{ nothing is not defined }} {{ messages[0].content is string and messages[0].content is not none }}"),
    ("tests_callable", "{{ range is callable }} {{ 1 is callable }} {{ 'a'.upper is callable }} {{ 'upper' is filter }} {{ 'odd' is test }} {{ 'nope' is filter }}"),
    ("tests_sameas", "{{ none is sameas none }} {{ true is sameas true }} {{ 1 is sameas 1 }}"),
    ("tests_escaped", "{{ 'a' is escaped }}"),
    # --- Methods ---
    ("str_methods", "{{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ '  a b '.split(none, 0) }} {{ ' a b c '.rsplit(none, 1) }}"),
    ("str_strip", "[{{ 'xxaxx'.strip('x') }}][{{ '  a  '.lstrip() }}][{{ '  a  '.rstrip() }}][{{ 'abcab'.strip('ab') }}][{{ '\\n a \\t'.strip() }}]"),
    ("str_starts_ends", "{{ 'abc'.startswith('ab') }} {{ 'abc'.startswith(('x', 'a')) }} {{ 'abc'.endswith('bc') }} {{ 'abc'.endswith(('x',)) }} {{ ''.startswith('') }}"),
    ("str_find_count", "{{ 'abcabc'.find('c') }} {{ 'abcabc'.rfind('c') }} {{ 'abc'.find('z') }} {{ 'abcabc'.count('bc') }} {{ 'abc'.index('b') }} {{ 'h\u00e9llo'.find('l') }}"),
    ("str_misc", "{{ ', '.join(['a', 'b']) }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'it\\'s a dog'.title() }} {{ 'hello'.capitalize() }} {{ 'ab\\ncd\\r\\nef'.splitlines() }} {{ '12'.isdigit() }} {{ 'a1'.isalnum() }} {{ 'ab'.isalpha() }} {{ ' '.isspace() }} {{ 'ab'.islower() }} {{ 'AB'.isupper() }}"),
    ("str_format_method", "{{ '{} {}'.format(1, 'a') }} {{ '{0}{name}{0}'.format(1, name='n') }} {{ '{{x}}'.format() }} {{ '{!r}'.format('q') }}"),
    ("str_prefix_partition", "{{ 'prefix_x'.removeprefix('prefix_') }} {{ 'x.py'.removesuffix('.py') }} {{ 'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }} {{ 'abc'.partition('z') }}"),
    ("dict_methods", "{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 5) }} {{ d.keys()|list }} {{ d.values()|list|length }} {{ d.items()|list|first }} {{ d.copy() == d }}"),
    ("list_methods", "{{ lst.index(2) }} {{ [1, 1, 2].count(1) }}"),
    ("globals", "{{ range(5)|list }} {{ range(1, 10, 3)|list }} {{ range(5, 0, -2)|list }} {{ range(3)|length }} {{ dict(a=1) }} {{ dict(a=1, b=[1]) }} {{ range(0)|list }}"),
    ("strftime_now", "{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d') }}"),
    ("messages_loop_chatml", "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{{ '<|im_start|>assistant\\n' }}"),
    ("tool_calls_loop", "{% for m in messages %}{% if m.tool_calls %}{% for tc in m.tool_calls %}{% set f = tc.function if tc.function is defined else tc %}{{ f.name }}({{ f.arguments|tojson }}){% endfor %}{% endif %}{% endfor %}"),
    ("content_is_string_or_list", "{% for c in [ 'x', [{'type': 'text', 'text': 'a'}, {'type': 'image'}, {'type': 'text', 'text': 'b'}] ] %}{% if c is string %}{{ c }}{% else %}{% for p in c if p.type == 'text' %}{{ p.text }}{% endfor %}{% endif %};{% endfor %}"),
    ("reverse_messages_ns", "{% set ns = namespace(last_user=-1) %}{% for m in messages[::-1] %}{% set i = messages|length - loop.index0 - 1 %}{% if ns.last_user == -1 and m.role == 'user' %}{% set ns.last_user = i %}{% endif %}{% endfor %}{{ ns.last_user }}"),
    ("f_undefined_operands", "[{{ nothing|length }}|{{ nothing|upper }}|{{ nothing|join(',') }}|{{ nothing|list }}|{{ nothing|sort }}|{{ nothing|first }}|{{ nothing|string }}|{{ nothing|default('d') }}|{{ nothing|select|list }}|{{ nothing|map('upper')|list }}|{{ nothing|unique|list }}|{{ nothing|sum }}|{{ nothing|replace('a', 'b') }}|{{ nothing|e }}|{{ nothing|safe }}|{{ nothing|items|list }}|{{ nothing|count }}]"),
    # --- Errors (any error passes; messages are checked by hand-written tests) ---
    ("err_undefined_attr", "{{ x.y }}"),
    ("err_undefined_arith", "{{ x + 1 }}"),
    ("err_undefined_call", "{{ nothing() }}"),
    ("err_str_plus_int", "{{ 'a' + 1 }}"),
    ("err_dict_missing_chain", "{{ d.zz.c }}"),
    ("err_compare_types", "{{ 'a' < 1 }}"),
    ("err_raise", "{{ raise_exception('bad ' ~ 1) }}"),
    ("err_list_append", "{{ lst.append(1) }}"),
    ("err_list_pop", "{{ [1, 2].pop() }}"),
    ("err_dict_update", "{{ d.update({'a': 1}) }}"),
    ("err_range_too_big", "{{ range(100001)|length }}"),
    ("err_set_attr_non_ns", "{% set x = 1 %}{% set x.y = 2 %}"),
    ("err_unpack", "{% for a, b in [[1, 2, 3]] %}{% endfor %}"),
    ("err_tojson_undefined", "{{ nothing|tojson }}"),
    ("err_macro_too_many", "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}"),
    ("err_div_zero", "{{ 1 / 0 }}"),
    ("err_none_iter", "{% for x in none %}{% endfor %}"),
    ("err_int_len", "{{ 5|length }}"),
    ("err_neg_str", "{{ -'a' }}"),
    ("err_items_non_mapping", "{{ [1]|items|list }}"),
    ("err_undefined_int", "{{ nothing|int }}"),
    ("err_undefined_float", "{{ nothing|float }}"),
    ("err_undefined_indent", "{{ nothing|indent }}"),
    ("err_int_indent", "{{ 5|indent }}"),
    ("err_undefined_index", "{{ nothing[0] }}"),
    ("err_undefined_neg", "{{ -nothing }}"),
    ("err_undefined_lt", "{{ nothing < 1 }}"),
    ("err_iterator_length", "{{ lst|select|length }}"),
    ("err_iterator_last", "{{ lst|map('string')|last }}"),
    ("err_iterator_slice", "{{ (lst|select)[0:1] }}"),
    ("err_iterator_plus", "{{ (lst|select) + [1] }}"),
    ("err_iterator_tojson", "{{ lst|select|tojson }}"),
    ("err_view_tojson", "{{ d.keys()|tojson }}"),
    ("err_int_slice", "{{ n[1:] }}"),
    ("err_percent_leftover", "{{ 'abc' % 1 }}"),
    ("err_pow_overflow", "{{ 10.0 ** 400 }}"),
    ("err_syntax_unclosed_if", "{% if true %}x"),
    ("err_syntax_bad_expr", "{{ 1 + }}"),
    ("err_syntax_unknown_tag", "{% frobnicate %}"),
    ("err_syntax_unclosed_string", "{{ 'abc }}"),
    ("err_syntax_unclosed_var", "{{ a "),
    ("err_syntax_unclosed_comment", "{# abc"),
    ("err_syntax_unknown_filter", "{{ 1|frobnicate }}"),
    ("err_syntax_unknown_test", "{{ 1 is frobnicate }}"),
    ("err_syntax_bad_bracket", "{{ (1] }}"),
    ("err_syntax_endfor_in_if", "{% if x %}{% endfor %}"),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cases = []
    for name, template in CASES:
        output, error = render(template, **CONTEXT)
        case = {"name": name, "template": template}
        if error is None:
            case["output"] = output
        else:
            case["error"] = error
        cases.append(case)
    with open(os.path.join(here, "jinja_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"context": CONTEXT, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
