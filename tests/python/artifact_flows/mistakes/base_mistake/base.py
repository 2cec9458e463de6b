from metaflow import FlowSpec, Parameter, step


class BaseTrainFlow(FlowSpec):
    alpha = Parameter("alpha", default=0.5)

    @step
    def start(self):
        self.rows = [1, 2, 3]
        self.next(self.train)

    @step
    def end(self):
        print(self.model)
