from base import BaseFlow
from metaflow import Parameter, step


class ChildFlow(BaseFlow):
    beta = Parameter("beta", default=1, type=int)

    # Overrides BaseFlow.middle; start and end are inherited.
    @step
    def middle(self):
        self.y = self.x + self.beta
        self.next(self.end)


if __name__ == "__main__":
    ChildFlow()
