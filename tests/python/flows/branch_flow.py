from metaflow import FlowSpec, step


class BranchFlow(FlowSpec):
    """A static split into two branches (one two steps long) and a merging join."""

    @step
    def start(self):
        self.base = 10
        self.shared = "same everywhere"
        self.next(self.left, self.right)

    @step
    def left(self):
        self.side = "left"
        self.left_value = self.base + 1
        self.next(self.left_more)

    @step
    def left_more(self):
        self.left_value *= 3
        self.next(self.join)

    @step
    def right(self):
        self.side = "right"
        self.right_value = self.base - 1
        self.next(self.join)

    @step
    def join(self, inputs):
        self.sides = sorted(inp.side for inp in inputs)
        self.from_left = inputs.left_more.left_value
        self.merge_artifacts(inputs, exclude=["side"])
        self.next(self.end)

    @step
    def end(self):
        self.answer = self.left_value + self.right_value


if __name__ == "__main__":
    BranchFlow()
