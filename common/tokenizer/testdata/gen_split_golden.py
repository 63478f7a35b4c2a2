#!/usr/bin/env python3
"""Generates split_golden.json: how the pre-tokenizer regexes split a set of
hand-picked and random strings, computed by the third-party `regex` module
(which supports \\p{..}, lookahead and scoped (?i:...) like Oniguruma does).
split_pattern_test checks the hand-written splitters against it.

    python3 common/tokenizer/testdata/gen_split_golden.py > common/tokenizer/testdata/split_golden.json
"""
import json
import random

import regex

PATTERNS = {
    "gpt2": r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    "qwen2": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    "llama3": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}

FIXED = [
    "",
    "Hello world's 123 !!\n\n  x",
    "I'm HERE'S you'RE we'Ve they'LL he'D it'T 'ſ",
    "  leading spaces",
    "trailing   ",
    "tabs\tand\nnewlines\r\n",
    "x = foo(bar, baz=[1, 2, 3])\n",
    "def f(x):\n\n\n    return x  # comment\n",
    "numbers 1234567890 3.14159",
    "\u00a0nbsp\u2003emspace\u3000ideo",
    "caf\u00e9 na\u00efve e\u0301",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8",
    "emoji \U0001F642\U0001F44D\U0001F3FD mix",
    "\u2167 \u00b2 \u0663\u0664 \u00bd",
    "  \n  \n",
    " \r\n\t x",
    "!!!\n\n\nabc",
    "'",
    "''s",
    "a'",
    "(abc) [def] {ghi}",
    "\x00\x01 control",
]

ALPHABET = list("aZé日'sStTrReEvVmMlLdD 0123 \t\n\r!?.,-_(\u00a0\u2003\u3000\u0301\u00b2\u0663\u2167\U0001F642\u017f\u200d")


def main():
    rng = random.Random(1234)
    texts = list(FIXED)
    for _ in range(300):
        texts.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 24))))
    out = {}
    for name, pat in PATTERNS.items():
        r = regex.compile(pat)
        cases = []
        for t in texts:
            pieces = r.findall(t)
            assert "".join(pieces) == t, (name, t)
            cases.append({"text": t, "pieces": pieces})
        out[name] = cases
    print(json.dumps(out, ensure_ascii=True, indent=0))


if __name__ == "__main__":
    main()
