from metaflow import FlowSpec, step


class BranchNoInputsFlow(FlowSpec):
    @step
    def start(self):
        self.base = 1
        self.next(self.left, self.right)

    @step
    def left(self):
        self.side = "left"
        self.next(self.join)

    @step
    def right(self):
        self.side = "right"
        self.next(self.join)

    @step
    def join(self):  # MISTAKE: join-without-inputs
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BranchNoInputsFlow()
