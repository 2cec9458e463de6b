"""Counterpart of Metaflow's spin test flow ComplexDAGFlow (test/unit/spin): three
nested foreach levels, joins at each level, a second foreach and a static branch.
Metaflow's version installs numpy with @conda in step_c and step_m; here those
steps record the installed numpy's version instead (no conda, no network)."""

from metaflow import FlowSpec, step


class ComplexDAGFlow(FlowSpec):
    @step
    def start(self):
        self.split_start = [1, 2, 3]
        self.my_output = []
        self.next(self.step_a, foreach="split_start")

    @step
    def step_a(self):
        self.split_a = [4, 5]
        self.my_output = self.my_output + [self.input]
        self.next(self.step_b, foreach="split_a")

    @step
    def step_b(self):
        self.split_b = [6, 7, 8]
        self.my_output = self.my_output + [self.input]
        self.next(self.step_c, foreach="split_b")

    @step
    def step_c(self):
        import numpy as np

        self.np_version = np.__version__
        self.my_output = self.my_output + [self.input] + [9, 10]
        self.next(self.step_d)

    @step
    def step_d(self, inputs):
        self.my_output = sorted([inp.my_output for inp in inputs])[0]
        self.next(self.step_e)

    @step
    def step_e(self):
        self.split_e = [9, 10]
        self.next(self.step_f, foreach="split_e")

    @step
    def step_f(self):
        self.my_output = self.my_output + [self.input]
        self.next(self.step_g)

    @step
    def step_g(self):
        print("my_output", self.my_output)
        self.next(self.step_h)

    @step
    def step_h(self, inputs):
        self.my_output = sorted([inp.my_output for inp in inputs])[0]
        self.next(self.step_i)

    @step
    def step_i(self, inputs):
        self.my_output = sorted([inp.my_output for inp in inputs])[0]
        self.next(self.step_j)

    @step
    def step_j(self):
        self.next(self.step_k, self.step_l)

    @step
    def step_k(self):
        self.my_output = self.my_output + [11]
        self.next(self.step_m)

    @step
    def step_l(self):
        self.my_output = self.my_output + [12]
        self.next(self.step_m)

    @step
    def step_m(self, inputs):
        import numpy as np

        self.np_version_m = np.__version__
        self.my_output = sorted([inp.my_output for inp in inputs])[0]
        self.next(self.step_n)

    @step
    def step_n(self, inputs):
        self.my_output = sorted([inp.my_output for inp in inputs])[0]
        self.next(self.end)

    @step
    def end(self):
        self.my_output = self.my_output + [13]


if __name__ == "__main__":
    ComplexDAGFlow()
