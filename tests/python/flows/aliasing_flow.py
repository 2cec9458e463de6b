from metaflow import FlowSpec, step


class AliasingFlow(FlowSpec):
    """Equal artifacts under different names, and an empty list like Metaflow's own."""

    @step
    def start(self):
        self.a = [0]
        self.b = [0]
        self.acc = []
        self.items = [1, 2]
        self.next(self.grow, foreach="items")

    @step
    def grow(self):
        self.a.append(self.input)
        self.acc = self.acc + [self.input]
        self.next(self.join)

    @step
    def join(self, inputs):
        self.a_values = [i.a for i in inputs]
        self.b_values = [i.b for i in inputs]
        self.accs = [i.acc for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    AliasingFlow()
