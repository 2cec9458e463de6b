from metaflow import FlowSpec, step


class UnknownStepFlow(FlowSpec):
    @step
    def start(self):
        self.rows = [1, 2, 3]
        self.next(self.trian)  # MISTAKE: unknown-step

    @step
    def train(self):
        self.model = sum(self.rows)
        self.next(self.end)

    @step
    def end(self):
        print(self.model)


if __name__ == "__main__":
    UnknownStepFlow()
