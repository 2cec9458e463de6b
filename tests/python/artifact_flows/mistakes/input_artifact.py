from metaflow import FlowSpec, step


class InputArtifactFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.left, self.right)

    @step
    def left(self):
        self.score = 1
        self.next(self.join)

    @step
    def right(self):
        self.weight = 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = inputs.left.score + inputs.right.score  # MISTAKE: undefined-artifact
        self.next(self.end)

    @step
    def end(self):
        print(self.total)


if __name__ == "__main__":
    InputArtifactFlow()
