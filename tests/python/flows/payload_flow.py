import numpy as np
from metaflow import FlowSpec, step


class PayloadFlow(FlowSpec):
    """start makes a few MB of inputs for summarize; random data, so gzip cannot shrink it."""

    @step
    def start(self):
        rng = np.random.default_rng(7)
        self.samples = rng.random(500_000)  # 3.8 MB of float64
        self.raw = rng.bytes(2 << 20)
        self.label = "payload"
        self.next(self.summarize)

    @step
    def summarize(self):
        self.mean = float(self.samples.mean())
        self.raw_len = len(self.raw)
        self.head = self.raw[:4]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    PayloadFlow()
