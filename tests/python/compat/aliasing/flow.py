"""Mutable artifacts: two equal lists mutated in place in foreach children, and an
accumulator rebuilt (acc = acc + [...]) in each step."""

from metaflow import FlowSpec, step


class AliasingFlow(FlowSpec):
    @step
    def start(self):
        self.a = [0]
        self.b = [0]
        self.acc = []
        self.items = [1, 2, 3]
        self.next(self.child, foreach="items")

    @step
    def child(self):
        self.a.append(self.input)
        self.acc = self.acc + [self.input]
        self.next(self.join)

    @step
    def join(self, inputs):
        self.a_values = [inp.a for inp in inputs]
        self.b = inputs[0].b
        self.acc = []
        for inp in inputs:
            self.acc = self.acc + inp.acc
        self.next(self.end)

    @step
    def end(self):
        self.b.append(99)
        self.acc = self.acc + [len(self.a_values)]


if __name__ == "__main__":
    AliasingFlow()
