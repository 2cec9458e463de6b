from metaflow import FlowSpec, step


class ForeachTypoFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.square, foreach="itmes")  # MISTAKE: undefined-foreach

    @step
    def square(self):
        self.value = self.input**2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.values = [inp.value for inp in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ForeachTypoFlow()
