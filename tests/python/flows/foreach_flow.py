import numpy as np
import pandas as pd
from metaflow import FlowSpec, step


class ForeachFlow(FlowSpec):
    """A foreach over a list, tables and arrays, and a join in foreach order."""

    @step
    def start(self):
        rng = np.random.default_rng(0)
        self.table = pd.DataFrame({"x": rng.normal(size=1000), "g": rng.integers(0, 3, 1000)})
        self.groups = [0, 1, 2]
        self.next(self.per_group, foreach="groups")

    @step
    def per_group(self):
        part = self.table[self.table.g == self.input]
        self.group = self.input
        self.position = self.index
        self.stack = [(i, n) for i, n, _ in self.foreach_stack()]
        self.mean = float(part.x.mean())
        self.values = part.x.to_numpy()
        self.next(self.join)

    @step
    def join(self, inputs):
        self.order = [inp.group for inp in inputs]
        self.means = [inp.mean for inp in inputs]
        self.table = inputs[0].table
        self.next(self.end)

    @step
    def end(self):
        self.best = int(np.argmax(self.means))


if __name__ == "__main__":
    ForeachFlow()
