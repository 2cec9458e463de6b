from base import BaseTrainFlow
from metaflow import step


class DerivedTrainFlow(BaseTrainFlow):
    @step
    def train(self):
        self.model = sum(self.rows) * self.alpha
        self.score = self.modle  # MISTAKE: undefined-artifact
        self.next(self.end)


if __name__ == "__main__":
    DerivedTrainFlow()
