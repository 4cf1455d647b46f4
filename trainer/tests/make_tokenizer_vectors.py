"""Write tests/tokenizer-vectors.json: the shared test vectors of the caption tokenizer.

trainer/tokenizer.py is the definition; this script runs it on a fixed set of
texts and records the words and ids it gives. trainer/tests/test_tokenizer.py
and src/imagine/tokenizer.test.ts both check their side against the file, so
the Python tokenizer and its TypeScript twin are proven to agree.

Run from the repository root after changing the tokenizer or the cases:
    /usr/bin/python3 trainer/tests/make_tokenizer_vectors.py
"""
from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from tokenizer import Tokenizer, build_vocab, words  # noqa: E402

OUT = os.path.join(HERE, "tokenizer-vectors.json")
MAX_TOKENS = 16
HASH_BUCKETS = 97
VOCAB_SIZE = 48

# The vocabulary's corpus: words seen at least twice make the vocabulary.
SENTENCES = [
    "imagine a red apple on a wooden table",
    "imagine a green apple in the snow",
    "a cat on the table, a dog in the snow",
    "Une pomme rouge sur une table en bois, été à Noël",
    "une pomme verte et un cœur rouge — été",
    "Ein roter Apfel auf der Straße, über den Bergen",
    "ein grüner Apfel auf der Straße",
    "Czerwone jabłko na stole, śnieg i łąka",
    "zielone jabłko, śnieg",
    "Una manzana roja en la montaña, ¿mañana?",
    "una manzana verde, mañana",
    "Uma maçã vermelha na mesa, coração",
    "uma maçã verde, coração",
    "Ett rött äpple på en båt",
    "ett grönt äpple på en båt",
    "Красное яблоко на столе, зимний день",
    "зелёное яблоко, день",
    "赤いりんごと猫",
    "青いりんごと猫",
    "빨간 사과 고양이",
    "초록 사과 고양이",
    "Ένα κόκκινο μήλο, θάλασσα",
    "ένα πράσινο μήλο στη θάλασσα",
    "Kırmızı elma, İstanbul",
    "yeşil elma, istanbul",
]

# (what it covers, text)
CASES = [
    ("English", "Imagine a red apple on a wooden table."),
    ("English, capitals and apostrophe", "The CAT's hat isn't RED"),
    ("French accents", "Une pomme rouge sur une table en bois, été à Noël"),
    ("French è ç œ and ligatures", "Crème brûlée, façade, cœur, Œuvre, ﬁnale ﬂeur"),
    ("German ß and umlauts", "Über der Straße: Grüße aus Köln, GROẞ"),
    ("Polish ł ś", "Czerwone JABŁKO, śnieg, Łódź, źdźbło"),
    ("Spanish ñ ¿ ¡", "¿Mañana? ¡Una manzana roja en la montaña!"),
    ("Portuguese", "Uma maçã vermelha, coração, não, avó"),
    ("Swedish å", "Ett rött äpple på en båt i Åre"),
    ("Russian, incl. й ё and final-position letters", "Красное яблоко, зелёное яблоко, чай, ночь, подъезд, мышь, Ёлка"),
    ("Japanese kana + kanji mixed with ASCII", "赤いりんごとcat、ネコ2匹がいる"),
    ("Japanese halfwidth katakana (NFKC)", "ｶﾀｶﾅ ﾃｽﾄ"),
    ("Japanese dakuten dropped with the marks (NFD, Mn)", "ガラスとパン、ぶどう"),
    ("Japanese middle dot and long vowel mark (kana block)", "コーヒー・ケーキ"),
    ("outside the BMP: CJK extension B, mathematical letters", "𠮷野家 𝐀𝐁𝐂 𝟙𝟚 x𠮷y"),
    ("Korean Hangul", "빨간 사과와 고양이 two마리"),
    ("Greek final sigma", "ΣΑΣ Οδυσσεύς ΟΔΥΣΣΕΥΣ σας"),
    ("Greek accents", "Ένα κόκκινο μήλο στη θάλασσα"),
    ("Turkish İ ı", "İSTANBUL ılık Işık istanbul"),
    ("fullwidth letters and digits (NFKC)", "ＡＰＰＬＥ ｉｍａｇｉｎｅ １２３"),
    ("digits and numbers", "3 apples, 42 cats, 1.5 kg, 2024-05-01, ²½"),
    ("emoji separate words", "apple🍎tree 🍎🍎 red❤️heart 👩‍👩‍👧 family 👍🏽ok"),
    ("hashtags and mentions", "#emoji #Été @someone #1"),
    ("e-mail and URL", "mail me: Jean.Dupont@Example.COM or https://ex.am/ple?q=1"),
    ("curly and angle quotes", "„Guten Tag“ « bonjour » “hello” ‘hi’ 「こんにちは」"),
    ("empty string", ""),
    ("only punctuation", "?!... --- ,;: ()[]{} «» …"),
    ("whitespace kinds", "a\tb\nc\u00a0d\u2003e\u3000f"),
    ("very long text (truncation at maxTokens)", " ".join(["imagine a red apple on a wooden table"] * 6)),
    ("words not in the vocabulary (hash buckets)", "zebra xylophone quasar Zürich blorptastic"),
    ("the word imagine", "imagine"),
    ("imagine in capitals with accents", "IMAGINE ímágíné"),
    ("ligatures and compatibility forms", "ﬀ ﬃ Ⅻ ㎏ ℌ ①"),
]


def main() -> None:
    vocab = build_vocab(SENTENCES, VOCAB_SIZE)
    tok = Tokenizer(vocab, HASH_BUCKETS, MAX_TOKENS)
    if "imagine" not in vocab:
        raise SystemExit("the vocabulary must contain 'imagine'")
    cases = [{"name": name, "text": text, "words": words(text), "ids": tok.encode(text)} for name, text in CASES]
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"tokenizer": tok.to_json(), "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(vocab)} vocabulary words, {len(cases)} cases")


if __name__ == "__main__":
    main()
