"""A small but realistic training flow to try Spinlens on.

``start`` makes a synthetic customer table (1,000,000 rows by default) whose
``converted`` label comes from a known logistic formula plus noise; ``features``
standardises it, one-hot encodes the plan and adds a ratio; ``train`` fits a
logistic regression with Newton's method in plain NumPy; ``tune`` refits it for
each L2 strength in ``alphas`` (a foreach); ``join`` keeps the best; ``end``
prints a summary.

    python training_flow.py run
    spinlens spin training_flow.py train
"""

import time

import numpy as np
import pandas as pd
from metaflow import FlowSpec, Parameter, step

PLANS = ["basic", "plus", "pro", "enterprise"]
NUMERIC = ["age", "income", "tenure_months", "visits", "spend"]

# The formula the label is drawn from (on standardised features): what a good
# model should recover.
TRUE_INTERCEPT = -0.4
TRUE_COEF = {
    "age": -0.3,
    "income": 0.6,
    "tenure_months": 0.9,
    "visits": 0.4,
    "spend_per_visit": 0.7,
}
TRUE_PLAN_EFFECT = {"basic": 0.0, "plus": 0.3, "pro": 0.8, "enterprise": 1.2}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


def log_loss(y, p):
    p = np.clip(p, 1e-12, 1.0 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def roc_auc(y, score):
    """Area under the ROC curve via the rank-sum (Mann-Whitney U) statistic."""
    ranks = np.empty(len(score))
    ranks[np.argsort(score, kind="mergesort")] = np.arange(1, len(score) + 1)
    positives = y > 0.5
    n_pos = int(positives.sum())
    n_neg = len(y) - n_pos
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def fit_logistic(X, y, alpha=0.0, iterations=8, w=None, log=None):
    """L2-penalised logistic regression by Newton's method (IRLS).

    Minimises mean log-loss + alpha/2 * |w[1:]|^2; column 0 of X is the
    intercept and is not penalised.
    """
    n, d = X.shape
    w = np.zeros(d) if w is None else w.copy()
    penalty = np.full(d, alpha)
    penalty[0] = 0.0
    for it in range(iterations):
        p = sigmoid(X @ w)
        grad = X.T @ (p - y) / n + penalty * w
        hess = (X * (p * (1.0 - p))[:, None]).T @ X / n + np.diag(penalty)
        step_ = np.linalg.solve(hess, grad)
        w -= step_
        size = float(np.linalg.norm(step_))
        if log is not None:
            log(f"  iter {it + 1}: log-loss {log_loss(y, p):.5f}, |step| {size:.2e}")
        if size < 1e-8:
            break
    return w


class TrainingFlow(FlowSpec):
    rows = Parameter("rows", help="rows of synthetic data", default=1_000_000)
    seed = Parameter("seed", help="random seed", default=42)
    valid_fraction = Parameter("valid_fraction", help="share held out", default=0.2)

    @step
    def start(self):
        """A synthetic customer table with a label from a known logistic formula."""
        rng = np.random.default_rng(self.seed)
        n = int(self.rows)
        plan = rng.choice(PLANS, size=n, p=[0.5, 0.25, 0.15, 0.1])
        visits = rng.poisson(12, size=n) + 1
        raw = pd.DataFrame(
            {
                "age": rng.normal(41, 12, size=n).clip(18, 90),
                "income": rng.lognormal(10.8, 0.5, size=n),
                "tenure_months": rng.gamma(2.0, 12.0, size=n),
                "visits": visits.astype(np.float64),
                "spend": visits * rng.lognormal(3.0, 0.6, size=n),
                "plan": pd.Categorical(plan, categories=PLANS),
            }
        )
        z = _standardised(_with_ratio(raw))
        logit = TRUE_INTERCEPT + sum(c * z[name] for name, c in TRUE_COEF.items())
        logit = logit + raw["plan"].map(TRUE_PLAN_EFFECT).astype(np.float64)
        logit = logit + rng.normal(0, 0.5, size=n)  # noise the model cannot see
        raw["converted"] = (rng.random(n) < sigmoid(logit.to_numpy())).astype(np.int8)
        self.raw = raw
        print(f"made {len(raw):,} rows; conversion rate {raw['converted'].mean():.3f}")
        self.next(self.features)

    @step
    def features(self):
        """Standardise the numbers, add spend per visit, one-hot the plan."""
        with_ratio = _with_ratio(self.raw)
        numeric = _standardised(with_ratio)
        onehot = pd.get_dummies(self.raw["plan"], prefix="plan", drop_first=True, dtype=float)
        self.feature_table = pd.concat([numeric, onehot], axis=1)
        self.feature_names = list(self.feature_table.columns)
        self.target = self.raw["converted"].to_numpy(dtype=np.float64)
        rng = np.random.default_rng(self.seed + 1)
        self.is_valid = rng.random(len(self.feature_table)) < self.valid_fraction
        print(f"{len(self.feature_names)} features: {', '.join(self.feature_names)}")
        self.next(self.train)

    @step
    def train(self):
        """Unregularised logistic regression on the training split."""
        started = time.perf_counter()
        X = _design(self.feature_table)
        y = self.target
        train, valid = ~self.is_valid, self.is_valid
        print(f"fitting on {int(train.sum()):,} rows x {X.shape[1]} columns")
        w = fit_logistic(X[train], y[train], iterations=8, log=print)
        self.intercept = float(w[0])
        self.coef = dict(zip(self.feature_names, w[1:].round(4).tolist(), strict=True))
        p_valid = sigmoid(X[valid] @ w)
        self.metrics = {
            "log_loss": log_loss(y[valid], p_valid),
            "accuracy": float(np.mean((p_valid > 0.5) == (y[valid] > 0.5))),
            "auc": roc_auc(y[valid], p_valid),
        }
        self.train_s = round(time.perf_counter() - started, 3)
        print(
            "validation: "
            + ", ".join(f"{k} {v:.4f}" for k, v in self.metrics.items())
            + f" ({self.train_s:.2f} s)"
        )
        self.alphas = [1e-4, 1e-3, 1e-2]
        self.next(self.tune, foreach="alphas")

    @step
    def tune(self):
        """Refit with L2 strength self.input, warm-started from train's fit."""
        self.alpha = self.input
        X = _design(self.feature_table)
        y = self.target
        train, valid = ~self.is_valid, self.is_valid
        w0 = np.array([self.intercept, *self.coef.values()])
        w = fit_logistic(X[train], y[train], alpha=self.alpha, iterations=4, w=w0)
        p_valid = sigmoid(X[valid] @ w)
        self.valid_log_loss = log_loss(y[valid], p_valid)
        self.valid_auc = roc_auc(y[valid], p_valid)
        self.tuned_coef = w
        print(f"alpha {self.alpha:g}: log-loss {self.valid_log_loss:.5f}, auc {self.valid_auc:.4f}")
        self.next(self.join)

    @step
    def join(self, inputs):
        """Keep the alpha with the lowest validation log-loss."""
        self.scores = {inp.alpha: inp.valid_log_loss for inp in inputs}
        best = min(inputs, key=lambda inp: inp.valid_log_loss)
        self.best_alpha = best.alpha
        self.best_log_loss = best.valid_log_loss
        self.best_auc = best.valid_auc
        self.best_coef = best.tuned_coef
        self.merge_artifacts(inputs, include=["feature_names", "metrics", "train_s"])
        self.next(self.end)

    @step
    def end(self):
        print(f"train step: {self.train_s:.2f} s; validation metrics {self.metrics}")
        for alpha, loss in sorted(self.scores.items()):
            mark = "  <- best" if alpha == self.best_alpha else ""
            print(f"  alpha {alpha:<8g} log-loss {loss:.5f}{mark}")
        print(f"best alpha {self.best_alpha:g}: auc {self.best_auc:.4f}")
        truth = {**TRUE_COEF, **{f"plan_{k}": v for k, v in TRUE_PLAN_EFFECT.items() if v}}
        for name, fitted in zip(self.feature_names, self.best_coef[1:], strict=True):
            print(f"  {name:<16} fitted {fitted:+.3f}  true {truth.get(name, 0.0):+.3f}")


def _with_ratio(raw):
    out = raw[NUMERIC].copy()
    out["spend_per_visit"] = raw["spend"] / raw["visits"]
    out["income"] = np.log(out["income"])
    return out


def _standardised(frame):
    return (frame - frame.mean()) / frame.std()


def _design(features):
    """The feature matrix with a leading intercept column."""
    X = np.empty((len(features), features.shape[1] + 1))
    X[:, 0] = 1.0
    X[:, 1:] = features.to_numpy(dtype=np.float64)
    return X


if __name__ == "__main__":
    TrainingFlow()
