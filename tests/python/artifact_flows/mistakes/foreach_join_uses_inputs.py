from metaflow import FlowSpec, step


class ForeachNoInputsFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.square, foreach="items")

    @step
    def square(self):
        self.value = self.input**2
        self.next(self.gather)

    @step
    def gather(self):  # MISTAKE: join-without-inputs
        self.values = [inp.value for inp in inputs]  # noqa: F821
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ForeachNoInputsFlow()
