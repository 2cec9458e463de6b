from metaflow import FlowSpec, step


class FaultFlow(FlowSpec):
    """start -> work -> end. The fault tests steer `work` through its inputs
    (overrides) or edit its body in unsaved text; the run itself is plain."""

    @step
    def start(self):
        self.marker = "original"
        self.alloc_mb = 0
        self.numbers = list(range(10))
        self.next(self.work)

    @step
    def work(self):
        print("marker", self.marker)
        block = bytearray(self.alloc_mb * 2**20)
        self.allocated = len(block)
        self.total = sum(self.numbers)
        self.next(self.end)

    @step
    def end(self):
        print("total", self.total)


if __name__ == "__main__":
    FaultFlow()
