from metaflow import FlowSpec, step


class NestedFlow(FlowSpec):
    """A foreach inside a foreach, joined twice."""

    @step
    def start(self):
        self.outer = ["a", "b"]
        self.next(self.split_inner, foreach="outer")

    @step
    def split_inner(self):
        self.letter = self.input
        self.inner = [1, 2, 3]
        self.next(self.leaf, foreach="inner")

    @step
    def leaf(self):
        self.cell = f"{self.letter}{self.input}"
        self.path = [(i, n, v) for i, n, v in self.foreach_stack()]
        self.next(self.join_inner)

    @step
    def join_inner(self, inputs):
        self.cells = [inp.cell for inp in inputs]
        self.merge_artifacts(inputs, include=["letter"])
        self.next(self.join_outer)

    @step
    def join_outer(self, inputs):
        self.grid = [inp.cells for inp in inputs]
        self.next(self.end)

    @step
    def end(self):
        self.count = sum(len(row) for row in self.grid)


if __name__ == "__main__":
    NestedFlow()
