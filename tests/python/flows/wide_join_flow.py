from metaflow import FlowSpec, step


class WideJoinFlow(FlowSpec):
    """A foreach of twelve whose join reads every split's artifacts in split order."""

    @step
    def start(self):
        self.items = [7, 3, 11, 0, 9, 4, 1, 10, 6, 2, 8, 5]  # values out of index order
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.value = self.input * 10
        self.tag = f"split-{self.index}"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.order = [inp.value for inp in inputs]
        self.tags = [inp.tag for inp in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    WideJoinFlow()
