#!/usr/bin/env python3
"""Reference vectors for the held-out strings (scripts/reference/heldout_strings.txt, invented for this
project, no dataset text), computed by the shared ground-truth implementation
(../shared/reference/minilm/ref_embed.py: HF tokenizers + a plain numpy fp32 forward) over the pinned
weights. Output: Tests/GenreEmbeddingTests/Fixtures/heldout-embeddings.jsonl.

usage: .genre/bench-venv/bin/pip install numpy tokenizers safetensors
       .genre/bench-venv/bin/python scripts/reference/make_heldout_reference.py --model-dir ~/.cache/genre/all-MiniLM-L6-v2
"""
import argparse, json, os, sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "shared", "reference", "minilm"))
import ref_embed  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "Tests", "GenreEmbeddingTests", "Fixtures", "heldout-embeddings.jsonl"))
    a = ap.parse_args()
    with open(os.path.join(here, "heldout_strings.txt"), encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f]
    # The three lines of the file that are one multi-line string stay separate lines here; that is fine:
    # each line is one test string.
    tok = ref_embed.hf_tokenizer(a.model_dir)
    model = ref_embed.NumpyMiniLM(a.model_dir)
    vectors = ref_embed.embed(model, tok, texts, batch=1)
    with open(a.out, "w", encoding="utf-8") as out:
        for text, vector in zip(texts, vectors):
            out.write(json.dumps({"text": text, "input_ids": tok.encode(text).ids,
                                  "embedding": [round(float(x), 8) for x in vector]}, ensure_ascii=False) + "\n")
    print(f"wrote {len(texts)} reference vectors to {a.out}")


if __name__ == "__main__":
    main()
