"""The peer half of scripts/bench/collaborative_vs_implicit.sh.

  generate-ml100k DIR OUT    ml-100k u.data -> OUT/train.csv, OUT/test.csv (per-item stratified 75/25, seed 42)
  generate-synthetic OUT     a seeded power-law dataset (see below) -> OUT/train.csv, OUT/test.csv
  run MODEL TRAIN TEST ...   train implicit's ALS or BPR, top-10 for every user, nDCG@10; prints JSON

The synthetic generator (documented so anyone can regenerate the same files): `users` users and `items`
items; each user belongs to one of 64 taste groups and has an activity drawn from a Pareto (Zipf-like)
law, scaled so the total is about `interactions`; each interaction picks, with probability 0.8, an item
from the user's group and otherwise any item, in both cases by a power-law popularity (exponent 1.0) over
a group-specific shuffle of the items. Duplicates collapse. One interaction per user with at least two
goes to the test file. numpy's default_rng(seed) drives every draw.
"""
import json
import sys
import time

import numpy as np
import scipy.sparse as sp


def write(path, users, items):
    with open(path, "w") as f:
        f.write("user_id,item_id\n")
        for u, i in zip(users, items):
            f.write(f"{u},{i}\n")


def split_last(users, items, rng):
    """One random interaction per user (with >= 2) to test."""
    order = rng.permutation(len(users))
    users, items = users[order], items[order]
    seen = {}
    test_mask = np.zeros(len(users), dtype=bool)
    counts = np.bincount(users)
    for idx, u in enumerate(users):
        if counts[u] >= 2 and u not in seen:
            seen[u] = True
            test_mask[idx] = True
    return (users[~test_mask], items[~test_mask]), (users[test_mask], items[test_mask])


def generate_ml100k(data_dir, out):
    raw = np.loadtxt(f"{data_dir}/u.data", dtype=np.int64)
    users, items = raw[:, 0], raw[:, 1]
    rng = np.random.default_rng(42)
    train_mask = np.zeros(len(users), dtype=bool)
    for item in np.unique(items):
        rows = np.flatnonzero(items == item)
        rows = rows[rng.permutation(len(rows))]
        train_mask[rows[: int(round(0.75 * len(rows)))]] = True
    write(f"{out}/train.csv", users[train_mask], items[train_mask])
    write(f"{out}/test.csv", users[~train_mask], items[~train_mask])


def generate_synthetic(out, users=200_000, items=50_000, interactions=5_000_000, seed=7):
    rng = np.random.default_rng(seed)
    groups = 64
    group = rng.integers(0, groups, users)
    activity = rng.pareto(1.5, users) + 1.0
    per_user = np.maximum(1, np.round(activity / activity.sum() * interactions)).astype(np.int64)
    total = int(per_user.sum())
    user_of = np.repeat(np.arange(users), per_user)
    # Power-law rank within a permutation: rank r has weight 1 / (r + 1).
    ranks_p = 1.0 / np.arange(1, items + 1)
    ranks_p /= ranks_p.sum()
    ranks = rng.choice(items, size=total, p=ranks_p)
    perms = np.stack([rng.permutation(items) for _ in range(groups)])
    in_group = rng.random(total) < 0.8
    item_of = np.where(in_group, perms[group[user_of], ranks], perms[rng.integers(0, groups, total), ranks])
    pairs = np.unique(user_of * items + item_of)
    u, i = pairs // items, pairs % items
    (tu, ti), (vu, vi) = split_last(u, i, rng)
    write(f"{out}/train.csv", tu, ti)
    write(f"{out}/test.csv", vu, vi)


def load(path, user_index, item_index, grow):
    users, items = [], []
    with open(path) as f:
        next(f)
        for line in f:
            u, i = line.rstrip("\n").split(",")[:2]
            if grow:
                user_index.setdefault(u, len(user_index))
                item_index.setdefault(i, len(item_index))
            if u in user_index and i in item_index:
                users.append(user_index[u])
                items.append(item_index[i])
    return np.array(users), np.array(items)


def ndcg_at(lists, relevant, k):
    total, n = 0.0, 0
    for u, rel in relevant.items():
        if u >= len(lists):
            continue
        dcg = sum(1 / np.log2(r + 2) for r, item in enumerate(lists[u][:k]) if item in rel)
        idcg = sum(1 / np.log2(r + 2) for r in range(min(k, len(rel))))
        total += dcg / idcg
        n += 1
    return total / max(n, 1), n


def run(model, train, test, factors, regularization, alpha, iterations, learning_rate):
    import implicit
    from threadpoolctl import threadpool_limits

    user_index, item_index = {}, {}
    t0 = time.time()
    tu, ti = load(train, user_index, item_index, True)
    vu, vi = load(test, user_index, item_index, False)
    n_users, n_items = len(user_index), len(item_index)
    # Confidence 1 + alpha * strength, exactly GENRE's (implicit uses the stored value as the confidence).
    values = np.full(len(tu), 1.0 + alpha, dtype=np.float32) if model == "als" else np.ones(len(tu), dtype=np.float32)
    ui = sp.csr_matrix((values, (tu, ti)), shape=(n_users, n_items))
    ui.sum_duplicates()
    load_s = time.time() - t0
    with threadpool_limits(1, "blas"):  # implicit parallelises itself; one BLAS thread each, as GENRE does
        if model == "als":
            m = implicit.cpu.als.AlternatingLeastSquares(factors=factors, regularization=regularization, alpha=1.0,
                                                         iterations=iterations, use_cg=True, random_state=42,
                                                         calculate_training_loss=False)
        else:
            m = implicit.cpu.bpr.BayesianPersonalizedRanking(factors=factors, learning_rate=learning_rate,
                                                             regularization=regularization, iterations=iterations,
                                                             random_state=42)
        t0 = time.time()
        m.fit(ui, show_progress=False)
        train_s = time.time() - t0
        t0 = time.time()
        ids, _ = m.recommend(np.arange(n_users), ui, N=10, filter_already_liked_items=True)
        recommend_s = time.time() - t0
    relevant = {}
    for u, i in zip(vu, vi):
        relevant.setdefault(int(u), set()).add(int(i))
    ndcg, evaluated = ndcg_at([list(r) for r in ids], relevant, 10)
    print(json.dumps({"library": "implicit " + implicit.__version__, "model": model, "users": n_users, "items": n_items,
                      "interactions": int(ui.nnz), "factors": factors, "iterations": iterations,
                      "load_seconds": load_s, "train_seconds": train_s, "recommend_seconds": recommend_s,
                      "ndcg": ndcg, "evaluated_users": evaluated}))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "generate-ml100k":
        generate_ml100k(sys.argv[2], sys.argv[3])
    elif command == "generate-synthetic":
        generate_synthetic(sys.argv[2])
    elif command == "run":
        model, train, test = sys.argv[2:5]
        factors, regularization, alpha, iterations, lr = int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8]), float(sys.argv[9])
        run(model, train, test, factors, regularization, alpha, iterations, lr)
    else:
        sys.exit(f"unknown command {command}")
