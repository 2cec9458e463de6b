"""Recursion (Metaflow 2.18+): a conditional whose branch points back at the step
itself, so the step runs once per iteration, each its own task."""

from metaflow import FlowSpec, Parameter, step


class RecursionFlow(FlowSpec):
    limit = Parameter("limit", type=int, default=4)

    @step
    def start(self):
        self.x = 0
        self.history = []
        self.next(self.loop)

    @step
    def loop(self):
        self.x += 1
        self.history = self.history + [self.x * self.x]
        self.again = self.x < self.limit
        self.next({True: self.loop, False: self.end}, condition="again")

    @step
    def end(self):
        self.final = self.x
        self.total = sum(self.history)


if __name__ == "__main__":
    RecursionFlow()
