from metaflow import FlowSpec, step


class MergeExcludeFlow(FlowSpec):
    @step
    def start(self):
        self.shared = 1
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
    def join(self, inputs):
        self.merge_artifacts(inputs, exclude=["side"])
        self.next(self.end)

    @step
    def end(self):
        print(self.shared, self.side)  # MISTAKE: undefined-artifact


if __name__ == "__main__":
    MergeExcludeFlow()
