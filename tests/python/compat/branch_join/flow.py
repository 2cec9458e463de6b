"""A static branch joined with inputs.<step>.x, inputs[i].x and iteration over inputs."""

from metaflow import FlowSpec, step


class BranchJoinFlow(FlowSpec):
    @step
    def start(self):
        self.base = 10
        self.next(self.left, self.right, self.middle)

    @step
    def left(self):
        self.score = self.base + 1
        self.side = "left"
        self.next(self.join)

    @step
    def middle(self):
        self.score = self.base + 2
        self.side = "middle"
        self.next(self.join)

    @step
    def right(self):
        self.score = self.base + 3
        self.side = "right"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.left_score = inputs.left.score
        self.right_score = inputs.right.score
        # Metaflow gathers a static join's inputs from a set: their order is not
        # fixed, so only order-free uses of inputs[i] give the same result each run.
        self.by_index = sorted(inputs[i].score for i, _ in enumerate(inputs))
        self.scores = sorted(inp.score for inp in inputs)
        self.sides = sorted(inp.side for inp in inputs)
        self.base = inputs.middle.base
        self.next(self.end)

    @step
    def end(self):
        self.spread = self.scores[-1] - self.scores[0]


if __name__ == "__main__":
    BranchJoinFlow()
