from metaflow import FlowSpec, step


class JoinSelfFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.left, self.right)

    @step
    def left(self):
        self.score = 1
        self.next(self.join)

    @step
    def right(self):
        self.score = 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.best = max(self.score, 0)  # MISTAKE: undefined-artifact
        self.next(self.end)

    @step
    def end(self):
        print(self.best)


if __name__ == "__main__":
    JoinSelfFlow()
