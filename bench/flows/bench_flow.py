"""The flow bench/spin_vs_metaflow.py spins: a 160 MB input, then steps to re-run.

``start`` builds a 2,000,000 x 10 float64 DataFrame; ``train`` does ~0.5-1 s of
NumPy work on it; ``tune`` is a foreach child with tiny compute on the same
frame. Both time their own compute (after the input is in hand) and print it as
``COMPUTE_S=...``, with the ``SCALE`` literal the benchmark edits between spins
to prove the new code ran.
"""

import time

import numpy as np
import pandas as pd
from metaflow import FlowSpec, step

ROWS = 2_000_000
COLUMNS = 10


class BenchFlow(FlowSpec):
    @step
    def start(self):
        rng = np.random.default_rng(0)
        data = rng.standard_normal((ROWS, COLUMNS))
        self.df = pd.DataFrame(data, columns=[f"c{i}" for i in range(COLUMNS)])
        self.params = [0.5, 1.0, 2.0]
        self.next(self.train)

    @step
    def train(self):
        SCALE = 1.0  # the benchmark edits this literal before each warm spin
        df = self.df  # loading the input is not compute
        started = time.perf_counter()
        X = df.to_numpy()
        w = np.full(COLUMNS, 1.0 / COLUMNS)
        for _ in range(5):  # a few power-iteration-like passes over the data
            h = np.tanh(X @ w)
            w = X.T @ h / len(X)
            w /= np.linalg.norm(w)
        gram = X.T @ X / len(X)
        quantiles = np.quantile(X[:, :4], [0.1, 0.5, 0.9], axis=0)
        self.result = {
            "w": (w * SCALE).round(6).tolist(),
            "trace": float(np.trace(gram)),
            "median_c0": float(quantiles[1, 0]),
        }
        self.scale = SCALE
        self.compute_s = time.perf_counter() - started
        print(f"COMPUTE_S={self.compute_s:.6f} SCALE={SCALE!r}")
        self.next(self.tune, foreach="params")

    @step
    def tune(self):
        SCALE = 1.0  # the benchmark edits this literal before each warm spin
        df = self.df
        started = time.perf_counter()
        self.param = self.input
        self.score = float(df["c0"].iloc[:1000].mean()) * self.param * SCALE
        self.scale = SCALE
        self.compute_s = time.perf_counter() - started
        print(f"COMPUTE_S={self.compute_s:.6f} SCALE={SCALE!r}")
        self.next(self.join)

    @step
    def join(self, inputs):
        self.scores = {inp.param: inp.score for inp in inputs}
        self.next(self.end)

    @step
    def end(self):
        print(f"scores: {self.scores}")


if __name__ == "__main__":
    BenchFlow()
