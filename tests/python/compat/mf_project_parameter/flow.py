"""Counterpart of Metaflow's spin test flow SimpleParameterFlow (test/unit/spin):
@project, a Parameter given on the command line, and an artifact deleted."""

from metaflow import FlowSpec, Parameter, current, project, step


@project(name="simple_parameter_flow")
class SimpleParameterFlow(FlowSpec):
    alpha = Parameter("alpha", help="Learning rate", default=0.01)

    @step
    def start(self):
        print(f"alpha is {self.alpha}")
        self.a = 10
        self.b = 20
        self.next(self.end)

    @step
    def end(self):
        self.a = 50
        self.x = 100
        self.y = 200
        print(f"{current.pathspec} in project {current.project_name}")
        del self.a
        del self.x


if __name__ == "__main__":
    SimpleParameterFlow()
