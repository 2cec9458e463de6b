"""A foreach inside a foreach, each level joined, with foreach_stack() and index."""

from metaflow import FlowSpec, step


class NestedForeachFlow(FlowSpec):
    @step
    def start(self):
        self.regions = ["eu", "us"]
        self.next(self.region, foreach="regions")

    @step
    def region(self):
        self.region_name = self.input
        self.shops = [f"{self.input}-{n}" for n in range(3)]
        self.next(self.shop, foreach="shops")

    @step
    def shop(self):
        self.shop_name = self.input
        self.position = (self.foreach_stack()[0][0], self.index)
        self.sales = len(self.input) * (self.index + 1)
        self.next(self.join_shops)

    @step
    def join_shops(self, inputs):
        self.region_name = inputs[0].region_name
        self.region_sales = {inp.shop_name: inp.sales for inp in inputs}
        self.positions = [inp.position for inp in inputs]
        self.next(self.join_regions)

    @step
    def join_regions(self, inputs):
        self.by_region = {inp.region_name: inp.region_sales for inp in inputs}
        self.positions = [p for inp in inputs for p in inp.positions]
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(v for sales in self.by_region.values() for v in sales.values())


if __name__ == "__main__":
    NestedForeachFlow()
