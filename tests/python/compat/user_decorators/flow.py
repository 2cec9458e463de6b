"""Custom step decorators, bare and with attributes, on linear, foreach and join
steps."""

from decorators import scaled, stamp
from metaflow import FlowSpec, step


class UserDecoratorFlow(FlowSpec):
    @stamp
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.work, foreach="items")

    @scaled(factor=10)
    @stamp
    @step
    def work(self):
        self.value = self.scale(self.input)
        self.next(self.join)

    @stamp
    @step
    def join(self, inputs):
        self.values = [inp.value for inp in inputs]
        self.next(self.end)

    @scaled
    @step
    def end(self):
        self.total = self.scale(sum(self.values))


if __name__ == "__main__":
    UserDecoratorFlow()
