#!/usr/bin/env python3
"""Generates nfc_golden.json: strings and their NFC form per Python's
unicodedata.normalize("NFC"), for nfc_test.

    python3 common/tokenizer/testdata/gen_nfc_golden.py > common/tokenizer/testdata/nfc_golden.json

Cases: every code point that has a canonical decomposition or a non-zero
combining class, alone and after "a"; and random strings over those, Hangul
jamo and syllables, and ASCII.
"""
import json
import random
import unicodedata


def main():
    interesting = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        d = unicodedata.decomposition(ch)
        if (d and not d.startswith("<")) or unicodedata.combining(ch):
            interesting.append(ch)
    cases = []
    for ch in interesting:
        cases.append(ch)
        cases.append("a" + ch)
    alphabet = interesting + [chr(c) for c in range(0x1100, 0x1113)] + \
        [chr(c) for c in range(0x1161, 0x1176)] + [chr(c) for c in range(0x11A8, 0x11C3)] + \
        ["\uac00", "\uac01", "\ud7a3", "\uae4c"] + list("aeiouAEIOUnNcCsS ") + \
        ["\u0301", "\u0300", "\u0308", "\u0323", "\u0327", "\u0345", "\u05b0", "\u0f71", "\u0f72"]
    rng = random.Random(7)
    for _ in range(3000):
        cases.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))))
    out = [{"text": t, "nfc": unicodedata.normalize("NFC", t)} for t in cases]
    print(json.dumps(out, ensure_ascii=True, separators=(",", ":")))


if __name__ == "__main__":
    main()
