from metaflow import FlowSpec, step


class NeverJoinedFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.square, foreach="items")  # MISTAKE: join-without-inputs

    @step
    def square(self):
        self.value = self.input**2
        self.next(self.gather)

    @step
    def gather(self):
        self.done = True
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    NeverJoinedFlow()
