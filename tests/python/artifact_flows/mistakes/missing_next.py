from metaflow import FlowSpec, step


class MissingNextFlow(FlowSpec):
    @step
    def start(self):
        self.rows = [1, 2, 3]
        self.next(self.train)

    @step
    def train(self):  # MISTAKE: missing-next
        self.model = sum(self.rows)

    @step
    def end(self):
        print("done")


if __name__ == "__main__":
    MissingNextFlow()
