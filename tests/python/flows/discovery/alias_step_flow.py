from metaflow import FlowSpec, retry
from metaflow import step as s


class AliasStepFlow(FlowSpec):
    @retry
    @s
    def start(self):
        self.x = 1
        self.next(self.end)

    @s
    def end(self):
        print("x =", self.x)


if __name__ == "__main__":
    AliasStepFlow()
