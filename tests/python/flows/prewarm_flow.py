from metaflow import FlowSpec, step


class PrewarmFlow(FlowSpec):
    """A large input and a small one, for a prewarm's memory budget."""

    @step
    def start(self):
        self.big = bytes(range(256)) * (12 * 1024)  # 3 MiB
        self.small = [1, 2, 3]
        self.next(self.work)

    @step
    def work(self):
        self.total = len(self.big) + sum(self.small)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    PrewarmFlow()
